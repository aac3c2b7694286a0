"""The load gate: start the service, drive it with locust at normal and at peak load.

How a run goes:
1. `reset`, when set, runs to completion (the state an earlier gate's requests left is put
   back); then the service starts from `start` (`{port}` is a free loopback port; a bare leading
   `python` is the target's interpreter) in `cwd` with `env`, its output in `load-service.log`
   beside the reports, and is polled at `health` until it answers 2xx within `startup_timeout`.
   A service that could not start for the api gate earlier in the audit is not started again
   (gates/service.py): its failure is this gate's error.
2. locust runs once, as a child process: `warmup` seconds at normal load (not measured), then
   two measured stages (`repeats` times): normal load for `duration` seconds, then peak load
   (`peak_factor` x normal) for `duration` seconds. The stages are a load shape inside the
   locustfile the gate writes, so users, spawn rate and duration are not given as `-u/-r/-t`;
   after each stage the requests still in flight are waited for (up to `request_timeout`),
   statistics are written and reset, so each stage has its own files (`load-normal_*.csv`,
   `load-peak_*.csv` and `*_audit.json`, which the gate reads, beside the reports).
3. The service's whole process group is stopped afterwards, however the gate ended.

Load model (`wait`, for `endpoints` scenarios): each simulated user waits per locust's
`wait_time`. The default `constant_throughput(1)` makes each user send about one request per
second, so `users = 10` is about 10 requests/s and the peak about 100/s, as long as the service
answers within a second; `between(MIN, MAX)`, `constant(S)`, `constant_pacing(S)` are locust's
other models, and `none` sends each next request as soon as the last answered (a saturation
test, not a latency test). A target's own `locustfile` brings its own wait_time.

Honest measurement: the gate runs alone, after the others. One locust process drives about
1,000 requests/s on 2 cores; above that the generator sets the latency. `processes = N` forks N
locust worker processes on this machine (locust's `--processes`). `expect_workers = N` makes
the auditor's locust a master (`--master --expect-workers N`, listening on `master_bind_host`:
`master_bind_port`, default 127.0.0.1:5557, so set `master_bind_host = "0.0.0.0"` for other
machines) that waits up to `workers_timeout` seconds for N workers started by you, e.g.
`locust --worker -f - --master-host HOST --master-port 5557` (`-f -` fetches the scenario from
the master; with a target locustfile the workers need the same file at the same path). When
locust warns that its CPU usage went above 90% (it says so in the stage's statistics, or in its
log), the gate is an error: the generator, not the service, set the figures.

Open model (`rate = N`, for `endpoints`): requests leave at fixed intended times, N per second at
normal load and `peak_factor` x N at peak, whether or not earlier ones were answered; each
request's latency counts from its intended time, and requests the generator sent over 100 ms
late are counted (`late`); above 1% of a stage's requests the gate is an error, like a saturated
generator. It runs inside locust's own users (one arrival stream per user), so `processes` and
workers spread it like the closed model. See the README for when to use which.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import re
from collections.abc import Sequence
from pathlib import Path

from auditor.errors import GateError
from auditor.model import ConditionSpec, Details, Finding, Measurement, OptionSpec
from auditor.plugin import BaseGate, GateConfig, GateContext, GateView, InitKey
from gates import service as load_service
from gates.load import db as db_timing
from gates.load import django_service, locustfile, stage_stats, verdicts
from gates.load import locust_run as load_locust
from gates.load import measure as load_measure
from gates.load import settings as load_config
from gates.load.details import LoadDetails, LoadGenerator
from gates.load.settings import LoadSettings
from gates.load.stage_stats import StageRecord
from gates.load.view import LoadReportView
from gates.service import SERVICE_OPTIONS

LOCUST_MARGIN_S = 30.0
"""Time locust may take beyond its stages: starting, spawning users, writing its CSV."""
STAGES = ("normal", "peak")
SERVICE_LOG = "load-service.log"
LOCUST_LOG = "load-locust.log"
LOCUSTFILE = "audit_locustfile.py"
_VERSION = re.compile(r"Starting Locust (\S+)")


class LoadGate(BaseGate):
    view: GateView | None = LoadReportView()
    id = "load"
    title = "Load"
    tool = "locust"
    order = 60
    runs_alone = True
    default_timeout = 600.0
    details_type: type[Details] = LoadDetails
    conditions: tuple[ConditionSpec, ...] = (
        ConditionSpec("p95_ms", "p95 latency", "ms", "<", 200, "ms",
                      "95th percentile response time at normal load",
                      population=load_measure.NORMAL),
        ConditionSpec("p99_ms", "p99 latency", "ms", "<", 500, "ms",
                      "99th percentile response time at normal load",
                      population=load_measure.NORMAL),
        ConditionSpec("error_rate", "Error rate", "%", "<", 0.1, "percent",
                      "failed requests at normal load", population=load_measure.NORMAL),
        ConditionSpec("peak_p95_ms", "Peak p95 latency", "ms", "<", 200, "ms",
                      "95th percentile response time at peak (10x) load",
                      population=load_measure.PEAK),
        ConditionSpec("peak_error_rate", "Peak error rate", "%", "<", 0.1, "percent",
                      "failed requests at peak (10x) load", population=load_measure.PEAK),
        ConditionSpec("peak_throughput", "Peak throughput held", "%", ">=", 90, "percent",
                      "requests answered without error at peak, as a share of the rate offered",
                      population=load_measure.PEAK),
        ConditionSpec("endpoint_p95_ms", "Slowest endpoint p95", "ms", "<", 200, "ms",
                      "95th percentile response time of the slowest endpoint at normal load",
                      population=load_measure.NORMAL),
        ConditionSpec("endpoint_error_rate", "Worst endpoint error rate", "%", "<", 0.1,
                      "percent", "failed requests of the most failing endpoint at normal load",
                      population=load_measure.NORMAL),
        *db_timing.CONDITIONS,
    )
    options: tuple[OptionSpec, ...] = (
        *SERVICE_OPTIONS,
        *load_config.OPTIONS,
        *db_timing.OPTIONS,
    )

    def init_keys(self, root: Path, python: Path) -> tuple[InitKey, ...]:
        """A Django project's service definition (the api gate inherits it)."""
        return django_service.init_keys(root, python)

    def skip_reason(self, config: GateConfig) -> str | None:
        if not config.options.get("start"):
            return "no [tool.audit.load] `start` command is configured"
        return None

    def validate(self, config: GateConfig) -> None:
        if config.options.get("start"):
            load_config.parse(config.options)
            db_timing.parse(config.options)

    def finding_values(self, findings: Sequence[Finding], config: GateConfig) -> dict[str, float]:
        return {}  # every load condition is a figure measured under load, none counts findings

    def measure(self, ctx: GateContext) -> Measurement:
        settings = load_config.parse(ctx.config.options)
        ctx.out_dir.mkdir(parents=True, exist_ok=True)
        locustfile.remove_stale_outputs(ctx.out_dir)
        db = db_timing.observer_for(db_timing.parse(ctx.config.options), ctx.workdir, ctx.env())
        plan = locustfile.stage_plan(settings, ctx.out_dir, db.stage_file)
        script = ctx.workdir / LOCUSTFILE
        locustfile.write(script, settings, plan, ctx.root)
        _check_timeout(ctx, settings, plan)
        run = _run_load(ctx, settings, plan, script, db)
        repeats = _read_repeats(plan, run.log_text)
        _check_generator(run.log_text, repeats)
        measurement = load_measure.judge(
            settings, ctx.config.thresholds, repeats,
            base=_base_details(settings, plan, ctx.out_dir, run.startup_s),
            tool_version=_version(run.log_text),
            service_exit=run.service_exit,
        )
        if isinstance(measurement.details, LoadDetails):
            for line in load_measure.stage_lines(measurement.details):
                ctx.progress(line)
        normal, peak = repeats[0]
        return db_timing.add_to(
            measurement, run.observed,
            {"normal": normal.total.requests, "peak": peak.total.requests},
        )


@dataclasses.dataclass(frozen=True)
class _LoadRun:
    """What one run of the service under locust left, besides the stages' files."""

    log_text: str
    """locust's log."""
    observed: db_timing.Observed
    startup_s: float
    service_exit: str | None
    """Why the service had exited by the end of the load (with its last lines), or None."""


def _workers_wait_s(settings: LoadSettings) -> float:
    """Seconds locust may wait for the workers started elsewhere before its stages begin."""
    return settings.workers_timeout if settings.expect_workers else 0.0


def _check_timeout(ctx: GateContext, settings: LoadSettings, plan: locustfile.StagePlan) -> None:
    """GateError before anything starts when the gate's timeout cannot hold the stages."""
    wait_workers = _workers_wait_s(settings)
    service = settings.service
    # The reset, when there is one, has `startup_timeout` too.
    starting = service.startup_timeout * (2 if service.reset else 1)
    needed = starting + plan.total_s() + LOCUST_MARGIN_S + wait_workers
    if ctx.remaining() < plan.total_s() + LOCUST_MARGIN_S / 2:
        raise GateError(
            f"the gate's timeout ({ctx.config.timeout:g} s) is too short for the stages "
            f"({plan.total_s():.0f} s at most); raise `timeout` in [tool.audit.load] to "
            f"{needed:.0f}"
        )


def _run_load(ctx: GateContext, settings: LoadSettings, plan: locustfile.StagePlan,
              script: Path, db: db_timing.Observer) -> _LoadRun:
    """Reset and start the service, run locust on it while the database is observed (what the
    timing needs added to the service's environment), stop the service."""
    service_log = ctx.out_dir / SERVICE_LOG
    ctx.progress("resetting and starting the service" if settings.service.reset
                 else "starting the service")
    with load_service.running(
        settings.service, root=ctx.root, python=ctx.python, workdir=ctx.workdir,
        log_path=service_log, base_env=ctx.env(),
        extra_env=db.service_env(settings.service.env, ctx.env()),
    ) as service:
        ctx.progress(_progress_text(settings))
        cmd = load_locust.command(settings, script, service.base_url)
        with db.watching():
            log_text = load_locust.run(
                cmd,
                cwd=ctx.workdir,
                env=load_locust.environment(ctx.env(), ctx.workdir),
                log_path=ctx.out_dir / LOCUST_LOG,
                timeout_s=min(plan.total_s() + LOCUST_MARGIN_S
                              + _workers_wait_s(settings), ctx.remaining()),
            )
            observed = db.finish()
        service_code = service.process.poll()
        startup_s = service.startup_s
    service_exit = (
        load_service.exit_text(service_code, service_log) if service_code is not None else None
    )
    return _LoadRun(log_text, observed, startup_s, service_exit)


def _check_generator(log_text: str, repeats: Sequence[tuple[StageRecord, StageRecord]]) -> None:
    """GateError when the load generator, not the service, set part of the figures."""
    saturated = load_locust.saturated(log_text) or any(
        r.cpu_warning for pair in repeats for r in pair
    )
    if saturated:
        raise GateError(load_locust.SATURATION_ERROR)
    lag = verdicts.generator_lag(
        [(name, record) for pair in repeats for name, record in zip(STAGES, pair, strict=True)]
    )
    if lag:
        raise GateError(lag)


def _base_details(settings: LoadSettings, plan: locustfile.StagePlan, out_dir: Path,
                  startup_s: float) -> LoadDetails:
    """The details that describe the run, before its figures."""
    return LoadDetails(
        log=str(out_dir / SERVICE_LOG),
        locust_log=str(out_dir / LOCUST_LOG),
        saturated=False,
        scenario=settings.locustfile or "endpoints",
        wait=_wait_text(settings),
        load_generator=LoadGenerator(processes=settings.processes,
                                     workers=settings.expect_workers),
        warmup_s=settings.warmup,
        startup_s=round(startup_s, 2),
        request_timeout_s=settings.request_timeout,
        csv={
            "normal": f"{plan.prefixes[0][0]}_stats.csv",
            "peak": f"{plan.prefixes[0][1]}_stats.csv",
        },
    )


def _progress_text(settings: LoadSettings) -> str:
    times = f", {settings.repeats} times" if settings.repeats > 1 else ""
    if settings.open_model:
        return (
            f"{settings.offered_rps(peak=False):g} requests/s, then "
            f"{settings.offered_rps(peak=True):g}, {settings.duration:g} s each{times}"
        )
    return (
        f"{settings.users} users, then {settings.peak_users}, {settings.duration:g} s each{times}"
    )


def _wait_text(settings: LoadSettings) -> str:
    if settings.open_model:
        return "open model: requests at fixed intended times"
    if settings.locustfile:
        return "the locustfile's"
    return settings.wait.describe()


def _read_repeats(plan: locustfile.StagePlan,
                  log_text: str) -> list[tuple[StageRecord, StageRecord]]:
    try:
        return [
            (stage_stats.read(normal, "normal"), stage_stats.read(peak, "peak"))
            for normal, peak in plan.prefixes
        ]
    except GateError as exc:
        extra = load_locust.scenario_errors(plan.prefixes[0][0])
        raise GateError(f"{exc}{extra}", log_tail=load_locust.log_tail(log_text)) from None


def _version(log_text: str) -> str:
    match = _VERSION.search(log_text)
    if match:
        return match.group(1)
    try:
        return importlib.metadata.version("locust")
    except importlib.metadata.PackageNotFoundError:
        return ""
