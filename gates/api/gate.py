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
3. Its cassette has every request and response: a run whose answers were mostly 429 or 503 did
   not test the API and is an error (fuzz.check_answered). Its JUnit report names each unique
   failure; each gets the smallest recorded request that failed the same way, as a `curl`
   command that sends it as it was sent (secrets as their variables, reproduce.py). Each 5xx is
   sent once more while the service still runs, and the log lines it caused are attached.
4. The service is stopped; the load gate (which runs after this one) starts it anew.

Conditions: `server_errors`, `contract_violations`, `invalid_input_accepted` and `auth_ignored`
are schemathesis's unique failures of their codes, each equal to its JSON run report's figure
(kept beside the reports, `api-schemathesis.json`); the operations they hit are stated beside
(details `tallies`). `leaky_errors` is the gate's own: operations with a 4xx/5xx body carrying a
traceback, a file path of the service or SQL text. `undocumented_operations` and
`undeclared_statuses` are the gate's own too, read from the schema and every recorded response
(gates/api/handoff.py); under `--new-code` they judge only the operations whose handler changed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from auditor.errors import GateError
from auditor.model import ConditionSpec, Fact, Finding, Measurement, OptionSpec, Population
from auditor.plugin import BaseGate, GateConfig, GateContext, GateView
from gates import openapi
from gates import service as api_service
from gates.api import (
    django_schema,
    django_views,
    fuzz,
    handoff,
    parse,
    problems,
    routes,
    schema_doc,
    st_run,
    tally,
    unauthenticated,
)
from gates.api import settings as api_config
from gates.api.details import ApiDetails, FailingOperation, Problem
from gates.api.settings import TABLE, ApiSettings
from gates.api.view import ApiReportView
from gates.service import SERVICE_OPTIONS, inherit_service_keys, unused_key_warnings

SERVICE_LOG = "api-service.log"
SEVERITY = {"server_errors": "critical", "auth_ignored": "critical", "leaky_errors": "critical"}


OPERATIONS = "operations"
"""What every condition is judged over: the operations schemathesis sent requests to."""


class ApiGate(BaseGate):
    view: GateView | None = ApiReportView()
    id = "api"
    title = "API"
    tool = "schemathesis"
    order = 50
    runs_alone = True
    default_timeout = 600.0
    details_type = ApiDetails
    conditions: tuple[ConditionSpec, ...] = (
        ConditionSpec(
            "server_errors",
            "Server errors",
            "",
            "<=",
            0,
            "count",
            "schemathesis's unique server errors (5xx): one per operation and status",
            population=OPERATIONS,
        ),
        ConditionSpec(
            "contract_violations",
            "Contract violations",
            "",
            "<=",
            0,
            "count",
            "responses whose status, content type, headers or body break the schema",
            population=OPERATIONS,
        ),
        ConditionSpec(
            "invalid_input_accepted",
            "Invalid input accepted",
            "",
            "<=",
            0,
            "count",
            "schema-invalid requests answered 2xx",
            population=OPERATIONS,
        ),
        ConditionSpec(
            "auth_ignored",
            "Authentication ignored",
            "",
            "<=",
            0,
            "count",
            "operations documented as requiring authentication that answer without "
            "it or with invalid credentials: schemathesis's unique failures, one per "
            "operation and check",
            population=OPERATIONS,
        ),
        ConditionSpec(
            "leaky_errors",
            "Leaky errors",
            "",
            "<=",
            0,
            "count",
            "4xx/5xx bodies carrying a traceback, the service's file paths or SQL text",
            population=OPERATIONS,
        ),
        ConditionSpec(
            "undocumented_operations",
            "Undocumented operations",
            "",
            "<=",
            0,
            "count",
            "operations without a description (a summary generated from the "
            "handler's name is none), or with a parameter or request body without a "
            "schema",
            population=handoff.POPULATION,
        ),
        ConditionSpec(
            "undeclared_statuses",
            "Undeclared statuses",
            "",
            "<=",
            0,
            "count",
            "statuses below 500 the service answered to an operation's requests that "
            "its `responses` do not declare: one per operation and status",
            population=handoff.POPULATION,
        ),
    )
    options: tuple[OptionSpec, ...] = (*SERVICE_OPTIONS, *api_config.API_OPTIONS)

    def table(
        self, own: Mapping[str, object], tables: Mapping[str, object]
    ) -> Mapping[str, object]:
        """Without a `start` of its own, the api gate starts the service `[tool.audit.load]`
        defines."""
        return inherit_service_keys("load", own, tables)

    def skip_reason(self, config: GateConfig) -> str | None:
        if not config.options.get("start"):
            return "no `start` command in [tool.audit.api] or [tool.audit.load]"
        return None

    def validate(self, config: GateConfig) -> None:
        if config.options.get("start"):
            api_config.parse(config.options, config.origins)

    def finding_values(self, findings: Sequence[Finding], config: GateConfig) -> dict[str, float]:
        # Every api condition counts operations or failures of generated requests, not findings.
        return {}

    def measure(self, ctx: GateContext) -> Measurement:
        parsed = api_config.parse(ctx.config.options, ctx.config.origins)
        settings = django_schema.with_schema(ctx, parsed)
        secrets = st_run.secrets_env(settings, ctx.env())
        ctx.out_dir.mkdir(parents=True, exist_ok=True)
        invocation = fuzz.prepare(ctx, settings)
        service_log = ctx.out_dir / SERVICE_LOG
        ctx.progress("starting the service")
        with api_service.running(
            settings.service, root=ctx.root, python=ctx.python, workdir=ctx.workdir,
            log_path=service_log, base_env=ctx.env(),
        ) as service:
            run = fuzz.run(ctx, settings, invocation, service, secrets)
            operations = schema_doc.operations(ctx, settings, service)
            found = problems.replayed(
                problems.collect(settings, run, ctx)
                + handoff.collect(settings, run, operations, ctx.env()),
                service,
                ctx.env(),
            )
        return _measurement(ctx, settings, run, found, service_log, operations)


def _measurement(
    ctx: GateContext,
    settings: ApiSettings,
    run: fuzz.FuzzRun,
    found: dict[str, list[Problem]],
    service_log: Path,
    operations: list[openapi.Operation],
) -> Measurement:
    """The values, findings and details of a completed run with the problems FOUND in it."""
    locations = _route_locations(settings, ctx, run.operations)
    scope = handoff.scoped(found, operations, handoff.handlers(ctx.root, locations), ctx.new_code)
    failing = tuple(
        FailingOperation(op, *scope.located(locations, op), tuple(listed))
        for op, listed in sorted(scope.found.items())
    )
    parse.reconcile(run.failures, run.report)
    tallies = tally.tallies(run.report, failing, settings.checks)
    values, skipped = handoff.figures(tallies, settings.checks, scope)
    details = ApiDetails(
        seed=settings.seed,
        max_examples=settings.max_examples,
        schema=settings.schema,
        checks=settings.checks,
        operations_tested=run.report.operations_tested,
        test_cases=run.report.test_cases,
        failing=failing,
        tallies=tallies,
        schemathesis_report=str(run.json_report) if run.json_report else None,
        service_log=str(service_log),
        notes=(() if locations else (django_schema.locations_note(ctx, settings),))
        + ((scope.note,) if scope.note else ()),
        schema_source=settings.schema_source,
        operations_in_schema=len(operations),
        service_table=settings.service.table,
    )
    locked = unauthenticated.locked_operations(
        run.interactions, run.operations, run.report.missing_auth
    )
    reach = unauthenticated.Reach(run.report.operations_tested, locked)
    return unauthenticated.apply(
        Measurement(
            values=values,
            skipped=skipped,
            populations={
                OPERATIONS: Population("operations fuzzed", run.report.operations_tested),
                handoff.POPULATION: scope.population,
            },
            findings=_findings(failing),
            details=details,
            tool_name="schemathesis",
            tool_version=run.report.version,
            warnings=list(unused_key_warnings(ctx.config, TABLE)),
        ),
        reach,
        OPERATIONS,
    )


def _route_locations(
    settings: ApiSettings, ctx: GateContext, operations: Sequence[str]
) -> dict[str, tuple[str, int]]:
    django = django_schema.django_service(ctx, settings) if settings.app is None else None
    if django is not None:
        return django_views.locate(ctx, django, operations)
    app = settings.app or openapi.served_app(settings.service.start)
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


def _findings(failing: tuple[FailingOperation, ...]) -> list[Finding]:
    findings: list[Finding] = []
    for op in failing:
        for problem in op.problems:
            status = f" (HTTP {problem.status})" if problem.status else ""
            extra: dict[str, Fact] = {
                "operation": op.operation,
                "code": problem.code,
                "condition": problem.condition,
                "curl": problem.curl,
            }
            if problem.log_lines:
                extra["log_lines"] = list(problem.log_lines)
            findings.append(Finding(
                path=op.path,
                line=op.line,
                rule=problem.check,
                severity="critical" if problem.condition in SEVERITY else "warning",
                message=f"{op.operation}: {problem.code} {problem.title}{status}",
                extra=extra,
            ))
    return findings
