"""The load gate: start the service, drive it with locust at normal and at peak load.

How a run goes:
1. The service starts from `start` (`{port}` is a free loopback port; a bare leading `python`
   is the target's interpreter) in `cwd` with `env`, its output in `load-service.log` beside
   the reports, and is polled at `health` until it answers 2xx within `startup_timeout`.
2. locust runs once, as a child process: `warmup` seconds at normal load (not measured), then
   two measured stages: `users` for `duration` seconds (normal), then `peak_users` (default
   10x) for `duration` seconds (peak). The stages
   are a load shape inside the locustfile the gate writes, so users, spawn rate and duration
   are not given as `-u/-r/-t`; statistics are reset between the stages and each stage has its
   own CSV files (`load-normal_*.csv`, `load-peak_*.csv` beside the reports).
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
locust warns that its CPU usage went above 90%, details say `saturated` and the figures may be
inflated.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import re
from collections.abc import Sequence
from pathlib import Path

from auditor.errors import GateError
from auditor.model import ConditionSpec, Finding, Measurement, OptionSpec
from gates import service as load_service
from gates.base import GateConfig, GateContext, GateView
from gates.load import locust_run as load_locust
from gates.load import scenario as load_scenario
from gates.load import settings as load_config
from gates.load.db import observer as db_observer
from gates.load.db import report as db_report
from gates.load.db import settings as db_settings
from gates.load.settings import LoadSettings
from gates.load.view import LoadReportView
from gates.service import SERVICE_OPTIONS

LOCUST_MARGIN_S = 30.0
"""Time locust may take beyond its stages: starting, spawning users, writing its CSV."""
SETTLE_S = 1.0
DISTRIBUTED_SETTLE_S = 4.0
"""Workers report every 3 s; a pause this long lets every sample of a stage arrive."""
SERVICE_LOG = "load-service.log"
LOCUST_LOG = "load-locust.log"
NORMAL_PREFIX = "load-normal"
PEAK_PREFIX = "load-peak"
_VERSION = re.compile(r"Starting Locust (\S+)")


class LoadGate:
    view: GateView | None = LoadReportView()
    id = "load"
    title = "Load"
    tool = "locust"
    runs_alone = True
    default_timeout = 600.0
    conditions: tuple[ConditionSpec, ...] = (
        ConditionSpec("p95_ms", "p95 latency", "ms", "<", 200, "ms",
                      "95th percentile response time at normal load"),
        ConditionSpec("p99_ms", "p99 latency", "ms", "<", 500, "ms",
                      "99th percentile response time at normal load"),
        ConditionSpec("error_rate", "Error rate", "%", "<", 0.1, "percent",
                      "failed requests at normal load"),
        ConditionSpec("peak_p95_ms", "Peak p95 latency", "ms", "<", 200, "ms",
                      "95th percentile response time at peak (10x) load"),
        ConditionSpec("peak_error_rate", "Peak error rate", "%", "<", 0.1, "percent",
                      "failed requests at peak (10x) load"),
        *db_settings.CONDITIONS,
    )
    options: tuple[OptionSpec, ...] = (
        *SERVICE_OPTIONS,
        OptionSpec("users", "int", 10, "simulated users at normal load"),
        OptionSpec("peak_users", "int", None, "simulated users at peak load (default 10x users)"),
        OptionSpec("spawn_rate", "number", None, "users started per second (default: all in 1 s)"),
        OptionSpec("peak_spawn_rate", "number", None,
                   "users started per second at peak (default: all in 1 s)"),
        OptionSpec("duration", "number", 20, "seconds per stage"),
        OptionSpec("warmup", "number", 2,
                   "seconds of normal load before measuring, not counted (0: none)"),
        OptionSpec("wait", "str", None,
                   "wait between a user's requests: constant_throughput(1) (default, about 1 "
                   "request/s per user), between(MIN, MAX), constant(S), constant_pacing(S), none"),
        OptionSpec("endpoints", "table_list", [],
                   "requests to make: path, method (GET), weight (1), status (2xx), json"),
        OptionSpec("locustfile", "str", None, "the target's own locustfile instead of endpoints"),
        OptionSpec("processes", "int", 1,
                   "locust processes generating load on this machine (locust --processes)"),
        OptionSpec("expect_workers", "int", 0,
                   "run locust as master and wait for this many workers you start "
                   "(locust --worker -f - --master-host HOST)"),
        OptionSpec("master_bind_host", "str", "127.0.0.1",
                   "interface the master listens on for workers (0.0.0.0 for other machines)"),
        OptionSpec("master_bind_port", "int", 5557, "port the master listens on for workers"),
        OptionSpec("workers_timeout", "number", 60, "seconds to wait for the expected workers"),
        OptionSpec("locust_command", "str_list", [],
                   "command that runs locust (default: the auditor's own, python -m locust)"),
        *db_settings.OPTIONS,
    )

    def skip_reason(self, config: GateConfig) -> str | None:
        if not config.options.get("start"):
            return "no [tool.audit.load] `start` command is configured"
        return None

    def validate(self, config: GateConfig) -> None:
        if config.options.get("start"):
            load_config.parse(config.options)
            db_settings.parse(config.options)

    def finding_values(self, findings: Sequence[Finding], config: GateConfig) -> dict[str, float]:
        return {}  # every load condition is a figure measured under load, none counts findings

    def measure(self, ctx: GateContext) -> Measurement:
        settings = load_config.parse(ctx.config.options)
        out_dir = ctx.out_dir
        out_dir.mkdir(parents=True, exist_ok=True)
        _remove_stale_outputs(out_dir)
        db = db_observer.observer(db_settings.parse(ctx.config.options), ctx.workdir, ctx.env())
        with_db = settings.service
        with_db = dataclasses.replace(
            with_db, env={**with_db.env, **db.service_env(with_db.env, ctx.env())}
        )
        settings = dataclasses.replace(settings, service=with_db)
        plan = _stage_plan(settings, out_dir / NORMAL_PREFIX, db.stage_file)
        locustfile = ctx.workdir / "audit_locustfile.py"
        locustfile.write_text(
            load_scenario.render(_scenario(settings, ctx.root), plan), encoding="utf-8"
        )
        wait_workers = settings.workers_timeout if settings.expect_workers else 0.0
        needed = settings.service.startup_timeout + plan.total_s() + LOCUST_MARGIN_S + wait_workers
        if ctx.remaining() < plan.total_s() + LOCUST_MARGIN_S / 2:
            raise GateError(
                f"the gate's timeout ({ctx.config.timeout:g} s) is too short for two stages of "
                f"{settings.duration:g} s; raise `timeout` in [tool.audit.load] to {needed:.0f}"
            )
        service_log = out_dir / SERVICE_LOG
        locust_log = out_dir / LOCUST_LOG
        ctx.progress("starting the service")
        with load_service.running(
            settings.service, root=ctx.root, python=ctx.python, workdir=ctx.workdir,
            log_path=service_log, base_env=ctx.env(),
        ) as service:
            ctx.progress(
                f"{settings.users} users, then {settings.peak_users}, "
                f"{settings.duration:g} s each"
            )
            cmd = load_locust.command(settings, locustfile, out_dir / PEAK_PREFIX,
                                      service.base_url)
            with db.watching():
                log_text = load_locust.run(
                    cmd,
                    cwd=ctx.workdir,
                    env=load_locust.environment(ctx.env(), ctx.workdir),
                    log_path=locust_log,
                    timeout_s=min(plan.total_s() + LOCUST_MARGIN_S + wait_workers,
                                  ctx.remaining()),
                )
                observed = db.finish()
            service_code = service.process.poll()
            startup_s = service.startup_s
        try:
            normal = load_locust.read_stage(out_dir / NORMAL_PREFIX, "normal")
            peak = load_locust.read_stage(out_dir / PEAK_PREFIX, "peak")
        except GateError as exc:
            raise GateError(
                str(exc), details={"log_tail": load_locust.log_tail(log_text)}
            ) from None
        saturated = load_locust.saturated(log_text)
        notes = [load_locust.ROUNDING_NOTE]
        if saturated:
            notes.append(load_locust.SATURATION_NOTE)
        if service_code is not None:
            notes.append(f"the service exited with code {service_code} during the load")
        database = db_report.measurement(
            observed, {"normal": normal.total.requests, "peak": peak.total.requests}
        )
        notes += database.notes
        details: dict[str, object] = {
            "stages": {
                "normal": normal.to_details(plan.normal.users, plan.normal.duration_s),
                "peak": peak.to_details(plan.peak.users, plan.peak.duration_s),
            },
            "log": str(service_log),
            "locust_log": str(locust_log),
            "saturated": saturated,
            "notes": notes,
            "scenario": settings.locustfile or "endpoints",
            "wait": settings.wait.describe() if not settings.locustfile else "the locustfile's",
            "load_generator": {
                "processes": settings.processes,
                "workers": settings.expect_workers,
            },
            "warmup_s": settings.warmup,
            "startup_s": round(startup_s, 2),
            "csv": {
                "normal": str(out_dir / f"{NORMAL_PREFIX}_stats.csv"),
                "peak": str(out_dir / f"{PEAK_PREFIX}_stats.csv"),
            },
        }
        if database.details:
            details["database"] = database.details
        return Measurement(
            values={
                "p95_ms": normal.total.p95_ms,
                "p99_ms": normal.total.p99_ms,
                "error_rate": normal.error_rate,
                "peak_p95_ms": peak.total.p95_ms,
                "peak_error_rate": peak.error_rate,
                **database.values,
            },
            skipped=database.skipped,
            unmeasured=database.unmeasured,
            details=details,
            tool_name="locust",
            tool_version=_version(log_text),
        )


def _stage_plan(settings: LoadSettings, normal_prefix: Path,
                stage_file: Path | None = None) -> load_scenario.StagePlan:
    return load_scenario.StagePlan(
        normal=load_scenario.Stage("normal", settings.users, settings.spawn_rate,
                                   settings.duration),
        peak=load_scenario.Stage("peak", settings.peak_users, settings.peak_spawn_rate,
                                 settings.duration),
        settle_s=DISTRIBUTED_SETTLE_S if settings.distributed else SETTLE_S,
        warmup_s=settings.warmup,
        distributed=settings.distributed,
        normal_csv_prefix=normal_prefix,
        stage_file=stage_file,
    )


def _scenario(settings: LoadSettings, root: Path) -> str:
    if settings.locustfile is None:
        return load_scenario.endpoints_scenario(settings.endpoints, settings.wait)
    path = (root / settings.locustfile).resolve()
    if not path.is_file():
        raise GateError(f"the locustfile {settings.locustfile} does not exist under {root}")
    return load_scenario.target_scenario(path)


def _remove_stale_outputs(out_dir: Path) -> None:
    """Delete CSV files of an earlier audit, so that one locust did not write is never read."""
    for prefix in (NORMAL_PREFIX, PEAK_PREFIX):
        for path in out_dir.glob(f"{prefix}_*.csv"):
            path.unlink(missing_ok=True)


def _version(log_text: str) -> str:
    match = _VERSION.search(log_text)
    if match:
        return match.group(1)
    try:
        return importlib.metadata.version("locust")
    except importlib.metadata.PackageNotFoundError:
        return ""
