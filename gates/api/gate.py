"""The api gate: generated requests against the running service, judged by its own schema.

How a run goes:
1. The service starts as the load gate starts it (gates/service.py; the keys of
   `[tool.audit.api]`, else those of `[tool.audit.load]`), its output in `api-service.log`
   beside the reports.
2. schemathesis runs once as a child process (`st run`) against the schema (`schema`: a path on
   the service or a file of the target) with a fixed `seed`, `max_examples` per operation and
   phase, one worker and `--continue-on-failure`, so an undocumented 422 does not hide the 500
   behind it. Its reports, Hypothesis example database and cache stay in the gate's work
   directory.
3. Its JUnit report names each unique failure; its cassette has every request and response.
   Each 5xx is sent once more while the service still runs, and the log lines it caused are
   attached to the finding with a `curl` reproduction.
4. The service is stopped; the load gate (which runs after this one) starts it anew.

Conditions: `server_errors` and `auth_ignored` count operations, `contract_violations` and
`invalid_input_accepted` count schemathesis's unique failures, `leaky_errors` counts operations
with a 4xx/5xx body carrying a traceback, a file path of the service or SQL text.
"""

from __future__ import annotations

import dataclasses
import http.client
import time
import xml.etree.ElementTree as ET  # nosec B405
from collections.abc import Mapping, Sequence
from pathlib import Path

from auditor.errors import GateError
from auditor.model import ConditionSpec, Finding, Measurement, OptionSpec, Population
from auditor.plugin import GateConfig, GateContext, GateView
from auditor.procs import ProcResult
from gates import service as api_service
from gates.api import parse, routes, st_run
from gates.api import settings as api_config
from gates.api.details import ApiDetails, FailingOperation, Problem
from gates.api.settings import ApiSettings
from gates.api.view import ApiReportView
from gates.service import SERVICE_OPTIONS
from gates.tools import check_exit, run_tool, tool_failed

SERVICE_LOG = "api-service.log"
REPLAY_LIMIT = 20
"""At most this many 5xx are sent again for their log lines."""
LOG_LINES = 40
LOG_SETTLE_S = 0.3
SEVERITY = {"server_errors": "critical", "auth_ignored": "critical", "leaky_errors": "critical"}


OPERATIONS = "operations"
"""What every condition is judged over: the operations schemathesis sent requests to."""

class ApiGate:
    view: GateView | None = ApiReportView()
    id = "api"
    title = "API"
    tool = "schemathesis"
    runs_alone = True
    default_timeout = 600.0
    conditions: tuple[ConditionSpec, ...] = (
        ConditionSpec("server_errors", "Server errors", "", "<=", 0, "count",
                      "operations that answered 5xx to a generated request",
                      population=OPERATIONS),
        ConditionSpec("contract_violations", "Contract violations", "", "<=", 0, "count",
                      "responses whose status, content type, headers or body break the schema",
                      population=OPERATIONS),
        ConditionSpec("invalid_input_accepted", "Invalid input accepted", "", "<=", 0,
                      "count", "schema-invalid requests answered 2xx", population=OPERATIONS),
        ConditionSpec("auth_ignored", "Authentication ignored", "", "<=", 0, "count",
                      "operations documented as requiring authentication that answer "
                      "without it", population=OPERATIONS),
        ConditionSpec("leaky_errors", "Leaky errors", "", "<=", 0, "count",
                      "4xx/5xx bodies carrying a traceback, the service's file paths or SQL "
                      "text", population=OPERATIONS),
    )
    options: tuple[OptionSpec, ...] = (*SERVICE_OPTIONS, *api_config.API_OPTIONS)

    def skip_reason(self, config: GateConfig) -> str | None:
        if not config.options.get("start"):
            return "no `start` command in [tool.audit.api] or [tool.audit.load]"
        return None

    def validate(self, config: GateConfig) -> None:
        if config.options.get("start"):
            api_config.parse(config.options)

    def finding_values(self, findings: Sequence[Finding], config: GateConfig) -> dict[str, float]:
        # Every api condition counts operations or failures of generated requests, not findings.
        return {}

    def measure(self, ctx: GateContext) -> Measurement:
        settings = api_config.parse(ctx.config.options)
        secrets = st_run.secrets_env(settings, ctx.env())
        ctx.out_dir.mkdir(parents=True, exist_ok=True)
        reports = st_run.Reports.under(ctx.workdir / "reports")
        reports.junit.parent.mkdir(parents=True, exist_ok=True)
        reports.remove()
        config = ctx.workdir / "schemathesis.toml"
        config.write_text(st_run.config_text(settings, ctx.workdir), encoding="utf-8")
        base = settings.command or st_run.default_command()
        schema_file = settings.schema_file(ctx.root)
        service_log = ctx.out_dir / SERVICE_LOG
        ctx.progress("starting the service")
        with api_service.running(
            settings.service, root=ctx.root, python=ctx.python, workdir=ctx.workdir,
            log_path=service_log, base_env=ctx.env(),
        ) as service:
            schema = str(schema_file) if schema_file else service.base_url + settings.schema
            cmd = st_run.command(
                settings, base=base, config=config, schema=schema,
                base_url=service.base_url if schema_file else None, reports=reports,
                database=ctx.workdir / "hypothesis-db",
            )
            ctx.progress(f"schemathesis, seed {settings.seed}")
            result = run_tool(ctx, "schemathesis", cmd, cwd=ctx.workdir,
                              env=ctx.env(secrets))
            code = service.process.poll()
            if code is not None:
                raise api_service.service_failure(
                    f"the service exited with code {code} during schemathesis's run",
                    service.process,
                )
            run = _run_report(reports, result)
            check_exit("schemathesis", result, st_run.OK_CODES)
            junit_text = _read(reports.junit, "JUnit report")
            errors = parse.junit_errors(junit_text)
            if errors:
                raise GateError(
                    f"schemathesis could not test {len(errors)} operation(s): {errors[0]}",
                    details={"log_tail": result.describe(tail_lines=40)},
                )
            failures = parse.parse_junit(junit_text)
            interactions = parse.parse_cassette(_read(reports.cassette, "cassette"))
            operations = _operations(junit_text)
            problems = _problems(settings, failures, interactions, operations, ctx)
            problems = _replayed(problems, interactions, service, settings, ctx.env())
        locations = _route_locations(settings, ctx)
        failing = tuple(
            FailingOperation(op, *_location(locations, op), tuple(found))
            for op, found in sorted(problems.items())
        )
        values, skipped = _values(settings, failures, failing)
        parse.reconcile(failures, run)
        warnings: list[str] = []
        details = ApiDetails(
            seed=settings.seed,
            max_examples=settings.max_examples,
            schema=settings.schema,
            checks=settings.checks,
            operations_tested=run.operations_tested,
            test_cases=run.test_cases,
            failing=failing,
            service_log=str(service_log),
            notes=() if locations else (
                "handlers' source lines are unknown (set `app` to module:attribute)",
            ),
        )
        return Measurement(
            values=values,
            skipped=skipped,
            populations={OPERATIONS: Population("operations fuzzed", run.operations_tested)},
            findings=_findings(failing),
            details=details.to_dict(),
            tool_name="schemathesis",
            tool_version=run.version,
            warnings=warnings,
        )


def _location(locations: Mapping[str, tuple[str, int]], operation: str) -> tuple[str, int | None]:
    path, line = locations.get(operation, ("", 0))
    return path, line or None


def _read(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        raise GateError(f"schemathesis wrote no {what} ({path.name})") from None


def _why(result: ProcResult) -> str:
    """schemathesis's own sentence on why it stopped (its terminal text, for the reason only)."""
    lines = [line.strip() for line in result.stdout.splitlines() if line.strip()]
    for index, line in enumerate(lines):
        if "Failed to load" in line or "Schema Loading Error" in line:
            return " ".join(lines[index:index + 4])[:400]
    return result.last_line()


def _run_report(reports: st_run.Reports, result: ProcResult) -> parse.RunReport:
    """The run report, with an error that says what stopped the run when it did not complete."""
    try:
        run = parse.parse_run_report(st_run.read_json_report(reports.json))
    except GateError:
        raise tool_failed("schemathesis did not finish its run", result) from None
    if run.errors:
        raise GateError(
            f"schemathesis could not run ({'; '.join(run.errors)}): {_why(result)}; check "
            "`schema` in [tool.audit.api] and that the service serves it",
            details={"log_tail": result.describe(tail_lines=40)},
        )
    if run.operations_selected == 0 or run.operations_tested == 0:
        raise GateError(
            "schemathesis found no API operation to test in the schema; check `schema` in "
            "[tool.audit.api]", details={"log_tail": result.describe(tail_lines=40)},
        )
    if not run.complete:
        raise tool_failed(f"schemathesis stopped early ({run.stop_reason})", result)
    return run


def _operations(junit_text: str) -> list[str]:
    root = ET.fromstring(junit_text)  # noqa: S314  # nosec B314 - written by schemathesis
    return [name for case in root.iter("testcase") if " /" in (name := case.get("name", ""))]


def _problems(settings: ApiSettings, failures: list[parse.Failure],
              interactions: list[parse.Interaction], operations: list[str],
              ctx: GateContext) -> dict[str, list[Problem]]:
    cases = parse.by_case(interactions)
    found: dict[str, list[Problem]] = {}
    for failure in failures:
        item = cases.get(failure.case_id)
        operation = failure.operation
        if item is not None and " /" not in operation:
            operation = parse.match_operation(item.method, item.path, operations) or operation
        found.setdefault(operation, []).append(Problem(
            condition=parse.condition_of(failure.code),
            code=failure.code,
            title=failure.title,
            check=parse.CODE_CHECKS.get(failure.code, failure.code),
            status=item.status if item else None,
            curl=parse.curl(item, settings.headers) if item else "",
        ))
    if "leaky_errors" in settings.checks:
        service_paths = (str(ctx.root.resolve()), str(ctx.python.parent.parent))
        leaky: set[str] = set()
        for item in interactions:
            if item.status < 400:
                continue
            kind = parse.leak_kind(item.body_text(), service_paths)
            leaked_at = parse.match_operation(item.method, item.path, operations)
            if kind is None or leaked_at is None or leaked_at in leaky:
                continue
            leaky.add(leaked_at)
            found.setdefault(leaked_at, []).append(Problem(
                condition="leaky_errors", code="leak", title=f"error body shows a {kind}",
                check="leaky_errors", status=item.status,
                curl=parse.curl(item, settings.headers),
            ))
    return found


def _replayed(problems: dict[str, list[Problem]], interactions: list[parse.Interaction],
              service: api_service.RunningService, settings: ApiSettings,
              environ: Mapping[str, str]) -> dict[str, list[Problem]]:
    """Each 5xx sent once more, with the log lines it caused (up to REPLAY_LIMIT)."""
    by_curl = {parse.curl(i, settings.headers): i for i in interactions if i.status >= 500}
    budget = REPLAY_LIMIT
    out: dict[str, list[Problem]] = {}
    for operation, found in problems.items():
        out[operation] = []
        for problem in found:
            item = by_curl.get(problem.curl)
            if item is None or budget <= 0 or (problem.status or 0) < 500:
                out[operation].append(problem)
                continue
            budget -= 1
            status, lines = _replay(item, service, settings, environ)
            out[operation].append(
                dataclasses.replace(problem, log_lines=lines, reproduced_status=status)
            )
    return out


def _replay(
    item: parse.Interaction, service: api_service.RunningService, settings: ApiSettings,
    environ: Mapping[str, str],
) -> tuple[int | None, tuple[str, ...]]:
    headers = {k: v for k, v in item.request_headers.items() if k.lower() == "content-type"}
    headers.update({name: environ.get(env, "") for name, env in settings.headers.items()})
    path = item.uri.split(f"127.0.0.1:{service.port}", 1)[-1] or "/"
    before = service.log_path.stat().st_size if service.log_path.exists() else 0
    conn = http.client.HTTPConnection(api_service.LOOPBACK, service.port, timeout=10)
    try:
        conn.request(item.method, path, body=item.request_body, headers=headers)
        status: int | None = conn.getresponse().status
    except (OSError, http.client.HTTPException):
        status = None
    finally:
        conn.close()
    time.sleep(LOG_SETTLE_S)
    with service.log_path.open("rb") as log:
        log.seek(before)
        text = log.read().decode("utf-8", errors="replace")
    return status, tuple(text.splitlines()[-LOG_LINES:])


def _route_locations(settings: ApiSettings, ctx: GateContext) -> dict[str, tuple[str, int]]:
    app = settings.app or routes.app_from_start(settings.service.start)
    if app is None:
        return {}
    cwd = (ctx.root / settings.service.cwd) if settings.service.cwd else ctx.root
    env = api_service.service_env(ctx.env(), settings.service, ctx.python, ctx.workdir)
    env["PYTHONPATH"] = str(cwd)
    ctx.progress("locating the routes")
    try:
        result = ctx.run([str(ctx.python), "-c", routes.PROBE, app], cwd=cwd, env=env)
    except GateError:
        return {}
    return routes.parse_probe(result.stdout, ctx.root) if result.returncode == 0 else {}


def _values(settings: ApiSettings, failures: list[parse.Failure],
            failing: tuple[FailingOperation, ...]) -> tuple[dict[str, float], dict[str, str]]:
    figures: dict[str, float] = {k: float(v) for k, v in parse.figures(failures).items()}
    figures["leaky_errors"] = float(sum(
        1 for op in failing if any(p.condition == "leaky_errors" for p in op.problems)
    ))
    values = {k: v for k, v in figures.items() if k in settings.checks}
    skipped = {
        k: "not among the `checks` of [tool.audit.api]" for k in figures if k not in values
    }
    return values, skipped


def _findings(failing: tuple[FailingOperation, ...]) -> list[Finding]:
    findings: list[Finding] = []
    for op in failing:
        for problem in op.problems:
            status = f" (HTTP {problem.status})" if problem.status else ""
            findings.append(Finding(
                path=op.path,
                line=op.line,
                rule=problem.check,
                severity="critical" if problem.condition in SEVERITY else "warning",
                message=f"{op.operation}: {problem.code} {problem.title}{status}",
                extra={
                    "operation": op.operation,
                    "code": problem.code,
                    "condition": problem.condition,
                    "curl": problem.curl,
                    **({"log_lines": list(problem.log_lines)} if problem.log_lines else {}),
                },
            ))
    return findings
