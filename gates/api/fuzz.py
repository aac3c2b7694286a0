"""One schemathesis run against the running service: its files prepared in the work directory,
then its reports read and judged.

A run whose requests were mostly refused (429 Too Many Requests, 503 Service Unavailable) tested
the service's rate limiter or its outage, not its API: schemathesis still passes such a run (it
only warns, `rate_limited`), the gate makes it an error that says what helps.
"""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET  # nosec B405
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from auditor.errors import GateError
from auditor.plugin import GateContext
from auditor.procs import ProcResult
from gates import service as api_service
from gates.api import parse, st_run
from gates.api.settings import ApiSettings
from gates.tools import check_exit, run_tool, tool_failed


@dataclass(frozen=True)
class Invocation:
    """What schemathesis is run with, besides the service's address."""

    base: tuple[str, ...]
    """The command that starts schemathesis's CLI."""
    config: Path
    """The run's schemathesis.toml."""
    reports: st_run.Reports
    schema_file: Path | None
    """The schema, when it is a file of the target rather than a path on the service."""


@dataclass(frozen=True)
class FuzzRun:
    """What a completed schemathesis run reported."""

    report: parse.RunReport
    failures: list[parse.Failure]
    """Its unique failures, from the JUnit report."""
    interactions: list[parse.Interaction]
    """Every request and response, from the cassette."""
    operations: list[str]
    """The operations the JUnit report names."""
    json_report: Path | None = None
    """schemathesis's JSON run report, kept beside the gate's reports."""


REFUSALS = {429: "429 Too Many Requests", 503: "503 Service Unavailable"}
REFUSED_SHARE = 0.5
"""Above this share of refused answers, the API was not tested."""
REPORT_COPY = "api-schemathesis.json"


def prepare(ctx: GateContext, settings: ApiSettings) -> Invocation:
    """Write the run's configuration and remove the reports of an earlier run."""
    reports = st_run.Reports.under(ctx.workdir / "reports")
    reports.junit.parent.mkdir(parents=True, exist_ok=True)
    reports.remove()
    config = ctx.workdir / "schemathesis.toml"
    config.write_text(st_run.config_text(settings, ctx.workdir), encoding="utf-8")
    return Invocation(
        base=settings.command or st_run.default_command(),
        config=config,
        reports=reports,
        schema_file=settings.schema_file(ctx.root),
    )


def run(
    ctx: GateContext, settings: ApiSettings, invocation: Invocation,
    service: api_service.RunningService, secrets: Mapping[str, str],
) -> FuzzRun:
    """Run schemathesis against the SERVICE; an error unless it completed, tested every
    operation and the service lived through it."""
    schema_file = invocation.schema_file
    cmd = st_run.command(
        settings, base=invocation.base, config=invocation.config,
        schema=str(schema_file) if schema_file else service.base_url + settings.schema,
        base_url=service.base_url if schema_file else None, reports=invocation.reports,
        database=ctx.workdir / "hypothesis-db",
    )
    ctx.progress(f"schemathesis, seed {settings.seed}")
    result = run_tool(ctx, "schemathesis", cmd, cwd=ctx.workdir, env=ctx.env(secrets))
    code = service.process.poll()
    if code is not None:
        raise api_service.service_failure(
            f"the service exited with code {code} during schemathesis's run",
            service.process,
        )
    report = _run_report(invocation.reports, result)
    check_exit("schemathesis", result, st_run.OK_CODES)
    kept = ctx.out_dir / REPORT_COPY  # beside the reports, also when the run is refused below
    shutil.copyfile(invocation.reports.json, kept)
    return replace(_read_results(invocation.reports, result, report), json_report=kept)


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
            log_tail=result.describe(tail_lines=40),
        )
    if run.operations_selected == 0 or run.operations_tested == 0:
        raise GateError(
            "schemathesis found no API operation to test in the schema; check `schema` in "
            "[tool.audit.api]", log_tail=result.describe(tail_lines=40),
        )
    if not run.complete:
        raise tool_failed(f"schemathesis stopped early ({run.stop_reason})", result)
    return run


def _why(result: ProcResult) -> str:
    """schemathesis's own sentence on why it stopped (its terminal text, for the reason only)."""
    lines = [line.strip() for line in result.stdout.splitlines() if line.strip()]
    for index, line in enumerate(lines):
        if "Failed to load" in line or "Schema Loading Error" in line:
            return " ".join(lines[index:index + 4])[:400]
    return result.last_line()


def _read_results(
    reports: st_run.Reports, result: ProcResult, report: parse.RunReport
) -> FuzzRun:
    """The cassette and the JUnit report; an error when the service refused most requests or an
    operation could not be tested."""
    interactions = parse.parse_cassette(_read(reports.cassette, "cassette"))
    check_answered(interactions, report)
    junit_text = _read(reports.junit, "JUnit report")
    errors = parse.junit_errors(junit_text)
    if errors:
        raise GateError(
            f"schemathesis could not test {len(errors)} operation(s): {errors[0]}",
            log_tail=result.describe(tail_lines=40),
        )
    return FuzzRun(
        report=report,
        failures=parse.parse_junit(junit_text),
        interactions=interactions,
        operations=_operations(junit_text),
    )


def check_answered(interactions: Sequence[parse.Interaction], report: parse.RunReport) -> None:
    """GateError when most recorded answers were refusals (REFUSALS): naming each status, the
    share of answers, and what helps."""
    refused = Counter(i.status for i in interactions if i.status in REFUSALS)
    total, count = len(interactions), sum(refused.values())
    if not total or count / total <= REFUSED_SHARE:
        return
    named = " and ".join(f"{n} {REFUSALS[status]}" for status, n in refused.most_common())
    advice = []
    if 429 in refused:
        advice.append(
            "the service rate-limited the audit: raise its limit for the audit (its setting, "
            "e.g. through `env` in [tool.audit.api]), or send fewer requests with `rate_limit` "
            "in [tool.audit.api] (schemathesis's --rate-limit: \"5/s\", or \"auto\" to wait as "
            "each 429's Retry-After says)"
        )
    if 503 in refused:
        advice.append(
            "the service (or what it depends on, e.g. its database) was unavailable: make sure "
            "it is up when `health` answers, or send fewer requests with `rate_limit` in "
            "[tool.audit.api]"
        )
    warned = (
        f"; schemathesis warned that {', '.join(report.rate_limited)} mostly answered 429"
        if report.rate_limited else ""
    )
    raise GateError(
        f"the service refused most of schemathesis's requests, so its API was not judged: "
        f"{count} of {total} answers ({count / total:.0%}) were {named}{warned}; "
        + "; ".join(advice)
    )


def _read(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        raise GateError(f"schemathesis wrote no {what} ({path.name})") from None


def _operations(junit_text: str) -> list[str]:
    root = ET.fromstring(junit_text)  # noqa: S314  # nosec B314 - written by schemathesis
    return [name for case in root.iter("testcase") if " /" in (name := case.get("name", ""))]
