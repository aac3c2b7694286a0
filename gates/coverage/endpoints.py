"""`endpoints_tested`: the share of the service's API operations (method and path template, from
its OpenAPI schema) that the target's own suite sent at least one request to that the
application routed to that operation, measured in the suite's run the gate already makes.

The recorder (route_recorder.py, loaded into that run) writes what the application routed and,
given the application, its schema and its handlers' lines. The schema is `schema` when it is a
file of the target, else the application's own (FastAPI's `app.openapi()`, or the schema's path
fetched through a WSGI application). `schema` and `app` default to the api gate's
(`[tool.audit.api]`, whose service keys may come from `[tool.audit.load]`).

Skipped, with the reason: no schema and no application to read one from (no web service); reused
coverage data (no suite ran, so nothing was recorded); a suite not run under pytest. Under
`--new-code`, only the operations whose handler the change touched are judged.
"""

from __future__ import annotations

import dataclasses
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import msgspec

from auditor.errors import GateError
from auditor.model import Finding, Measurement, OptionSpec, Population
from auditor.plugin import GateContext
from gates import openapi
from gates.coverage import reuse
from gates.coverage.details import CoverageDetails, EndpointCoverage
from gates.coverage.parse import PRECISION
from gates.coverage.recording import APP_OPTION, RECORDING, SCHEMA_OPTION, Plan, planned
from gates.paths import relative_to_root

CONDITION = "endpoints_tested"
POPULATION = "api_operations"
RULE = "endpoint-untested"
OPTIONS: tuple[OptionSpec, ...] = (
    OptionSpec(
        SCHEMA_OPTION,
        "str",
        None,
        "the OpenAPI schema whose operations `endpoints_tested` judges: a file in the "
        "target, or the path the application serves it at (default: `schema` of "
        "[tool.audit.api]; a FastAPI app's own app.openapi() when neither is set)",
    ),
    OptionSpec(
        APP_OPTION,
        "str",
        None,
        "the web application as module:attribute, read in the test run for its schema "
        "and handlers (default: `app` of [tool.audit.api], else the module:attribute "
        "its or [tool.audit.load]'s `start` serves)",
    ),
)


def plan(ctx: GateContext) -> Plan | str:
    """What the condition reads, or why it is skipped."""
    if reuse.requested(ctx.config):
        return (
            "reused coverage data (--coverage-data) holds no record of the requests the suite "
            "sent; let the gate run the suite to measure it"
        )
    return planned(ctx)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _start_tokens(value: object) -> list[str]:
    if isinstance(value, str):
        try:
            return shlex.split(value)
        except ValueError:
            return []
    return [str(v) for v in value] if isinstance(value, list) else []


def inherit_api_keys(
    own: Mapping[str, object], tables: Mapping[str, object]
) -> Mapping[str, object]:
    """The coverage table with `schema` and `app` taken from the api gate's table (its `start`
    from the load gate's) when it sets none itself."""
    api, load = tables.get("api"), tables.get("load")
    api_table = api if isinstance(api, dict) else {}
    load_table = load if isinstance(load, dict) else {}
    table = dict(own)
    schema = _text(api_table.get(SCHEMA_OPTION))
    if SCHEMA_OPTION not in table and schema:
        table[SCHEMA_OPTION] = schema
    start = api_table.get("start", load_table.get("start"))
    app = _text(api_table.get(APP_OPTION)) or openapi.served_app(_start_tokens(start))
    if APP_OPTION not in table and app:
        table[APP_OPTION] = app
    return table


Routed = tuple[str, str | None, str]
"""A routed request: its method, the route template the application matched (None when it has
none), the concrete path."""


class Recording(msgspec.Struct, frozen=True):
    """The file route_recorder writes; every key always."""

    routed: list[Routed]
    schema: dict[str, object] | None
    schema_error: str | None
    handlers: dict[str, tuple[str, int, int]]
    """`GET /items/{item_id}` -> [source file, first line, last line]."""


def read_recording(raw: bytes) -> Recording:
    """The recorder's file; GateError naming the field when it is not one."""
    try:
        return msgspec.json.decode(raw, type=Recording)
    except msgspec.DecodeError as exc:
        raise GateError(
            f"the auditor's route recorder wrote a file that cannot be read: {exc}"
        ) from None


def tested(names: Sequence[str], routed: Sequence[Routed]) -> set[str]:
    """The operations of NAMES at least one ROUTED request belongs to."""
    found: set[str] = set()
    for method, template, path in routed:
        name = openapi.match_path(method, path, names, template)
        if name is not None:
            found.add(name)
    return found


def handlers(recording: Recording, names: Sequence[str], root: Path) -> dict[str, openapi.Handler]:
    """Each operation's handler, by its route's method and template."""
    found: dict[str, openapi.Handler] = {}
    for route, (source, first, last) in recording.handlers.items():
        method, _, template = route.partition(" ")
        for name in names:
            if name not in found and openapi.same_route(name, method, template):
                found[name] = openapi.Handler(relative_to_root(source, root), first, last)
    return found


def operations(ctx: GateContext, planned: Plan, recording: Recording) -> list[str]:
    """The names of the schema's operations; GateError when there is no schema to read."""
    if planned.schema_file is not None:
        return [
            op.name for op in openapi.decode(planned.schema_file.read_bytes(), str(planned.schema))
        ]
    if recording.schema is None:
        raise GateError(
            f"the OpenAPI schema could not be read from the application `{planned.app}` in the "
            f"test run ({recording.schema_error or 'no application'}); set `schema` in "
            "[tool.audit.coverage] to a file of the target, or `app` to the application"
        )
    return [op.name for op in openapi.from_data(recording.schema, f"{planned.app} in the test run")]


@dataclass(frozen=True)
class Judged:
    """The condition's value, or why it has none, with what it judged."""

    value: float | None = None
    skipped: str | None = None
    unmeasured: str | None = None
    population: Population | None = None
    findings: tuple[Finding, ...] = ()
    details: EndpointCoverage | None = None


def judge(ctx: GateContext) -> Judged:
    """`endpoints_tested` of the suite's run in CTX's work directory."""
    planned = plan(ctx)
    if isinstance(planned, str):
        return Judged(skipped=planned)
    path = ctx.workdir / RECORDING
    if not path.is_file():
        return Judged(
            skipped="the suite did not run under pytest, where the auditor records "
            "the requests the application routed"
        )
    try:
        recording = read_recording(path.read_bytes())
        names = operations(ctx, planned, recording)
    except GateError as exc:
        return Judged(unmeasured=str(exc))
    located = handlers(recording, names, ctx.root)
    judged, lines, population = names, dict[str, int](), "operations in the OpenAPI schema"
    if ctx.new_code is not None and located:
        lines = openapi.changed(located, names, ctx.new_code)
        judged = [name for name in names if name in lines]
        population = "operations of the OpenAPI schema whose handler the change touched"
        if not judged:
            return Judged(
                skipped=f"the change since {ctx.new_code.ref} touches no operation's handler"
            )
    return _judged(
        judged, tested(judged, recording.routed), located, lines, population, len(recording.routed)
    )


def _judged(
    names: Sequence[str],
    hit: set[str],
    located: Mapping[str, openapi.Handler],
    lines: Mapping[str, int],
    population: str,
    routed: int,
) -> Judged:
    untested = [name for name in names if name not in hit]
    findings = tuple(
        Finding(
            path=located[name].path if name in located else "",
            line=lines.get(name, located[name].first) if name in located else None,
            rule=RULE,
            severity="warning",
            message=f"{name}: no test sent it a request the application routed",
            extra={"operation": name},
        )
        for name in untested
    )
    value = round(100.0 * (len(names) - len(untested)) / len(names), PRECISION) if names else 0.0
    return Judged(
        value=value,
        population=Population(population, len(names)),
        findings=findings,
        details=EndpointCoverage(
            operations=len(names),
            tested=len(names) - len(untested),
            untested=tuple(untested),
            requests_routed=routed,
        ),
    )


def with_endpoints(ctx: GateContext, measurement: Measurement) -> Measurement:
    """MEASUREMENT with `endpoints_tested` accounted for."""
    judged = judge(ctx)
    values, skipped = dict(measurement.values), dict(measurement.skipped)
    unmeasured, populations = dict(measurement.unmeasured), dict(measurement.populations)
    if judged.value is not None:
        values[CONDITION] = judged.value
    if judged.skipped is not None:
        skipped[CONDITION] = judged.skipped
    if judged.unmeasured is not None:
        unmeasured[CONDITION] = judged.unmeasured
    if judged.population is not None:
        populations[POPULATION] = judged.population
    details = measurement.details
    if judged.details is not None and isinstance(details, CoverageDetails):
        details = msgspec.structs.replace(details, endpoints=judged.details)
    return dataclasses.replace(
        measurement,
        values=values,
        skipped=skipped,
        unmeasured=unmeasured,
        populations=populations,
        findings=[*measurement.findings, *judged.findings],
        details=details,
    )
