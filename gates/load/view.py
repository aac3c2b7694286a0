"""The load gate in the reports: the stages' figures and endpoints, the percentile chart."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from auditor.model import GateResult
from gates.load.db import view as db_view
from reports import access, chart, text
from reports.viewkit import LIST_LIMIT, count, more, threshold

PERCENTILES = (("p50", "p50_ms"), ("p95", "p95_ms"), ("p99", "p99_ms"), ("max", "max_ms"))
CHARTED = PERCENTILES[:3]
"""The maximum is one request, often a cold start: charted, it would flatten the percentiles."""


@dataclass(frozen=True)
class Stage:
    name: str
    figures: list[tuple[str, str]]
    endpoints: list[list[str]]
    more_endpoints: int
    failures: list[list[str]]
    more_failures: int


@dataclass(frozen=True)
class LoadView:
    stages: list[Stage]
    chart: chart.BarChart | None
    saturated: bool
    service_log: str
    """Where the service's output was written."""
    locust_log: str
    """Where the load generator's output was written."""
    database: db_view.DbView | None = None
    """The database statements, when the gate observed them."""


def _ms(value: object) -> str:
    return text.with_unit(access.num(value), "ms")


def _stage(name: str, data: dict[str, object]) -> Stage:
    error_rate = access.num(data.get("error_rate"))
    rps = access.num(data.get("rps"))
    duration = access.num(data.get("duration_s"))
    endpoints = sorted(
        access.records(data.get("endpoints")), key=lambda e: -(access.num(e.get("p95_ms")) or 0.0)
    )
    failures = sorted(
        access.records(data.get("failures_seen")),
        key=lambda f: -(access.num(f.get("count")) or 0.0),
    )
    return Stage(
        name=name,
        figures=[
            ("users", count(data.get("users"))),
            ("duration", text.duration(duration) if duration is not None else "—"),
            ("requests", count(data.get("requests"))),
            ("failures", count(data.get("failures"))),
            ("throughput", f"{rps:.1f} req/s" if rps is not None else "—"),
            ("error rate", text.with_unit(error_rate, "%")),
            *((label, _ms(data.get(key))) for label, key in PERCENTILES),
        ],
        endpoints=[
            [
                access.text(e.get("method")),
                access.text(e.get("name")),
                count(e.get("requests")),
                count(e.get("failures")),
                _ms(e.get("median_ms")),
                _ms(e.get("p95_ms")),
                _ms(e.get("p99_ms")),
                _ms(e.get("max_ms")),
                f"{access.num(e.get('rps')) or 0.0:.1f}",
            ]
            for e in endpoints[:LIST_LIMIT]
        ],
        more_endpoints=more(len(endpoints)),
        failures=[
            [
                access.text(f.get("method")),
                access.text(f.get("name")),
                text.shorten(text.clean(access.text(f.get("error"))), 300),
                count(f.get("count")),
            ]
            for f in failures[:LIST_LIMIT]
        ],
        more_failures=more(len(failures)),
    )


def _chart(gate: GateResult, stages: dict[str, dict[str, object]]) -> chart.BarChart | None:
    series: list[chart.Series] = []
    for name, css in (("normal", "s-normal"), ("peak", "s-peak")):
        data = stages.get(name)
        if data is None:
            continue
        prefix = "" if name == "normal" else "peak_"
        series.append(
            chart.Series(
                name=f"{name} ({count(data.get('users'))} users)",
                css=css,
                values=[access.num(data.get(key)) for _, key in CHARTED],
                targets=[threshold(gate, prefix + key) for _, key in CHARTED],
            )
        )
    if not any(v is not None for s in series for v in s.values):
        return None
    return chart.bar_chart(
        "Response time percentiles by load stage", [label for label, _ in CHARTED], series, "ms"
    )


class LoadReportView:
    template = "load/view.html.j2"
    findings_noun = "findings"
    details_keys: Mapping[str, type] = MappingProxyType(
        {"stages": dict, "log": str, "locust_log": str, "saturated": bool, "database": dict}
    )

    def build(self, gate: GateResult) -> LoadView:
        stages = {
            k: access.mapping(v) for k, v in access.mapping(gate.details.get("stages")).items()
        }
        ordered = sorted(stages, key=lambda k: {"normal": 0, "peak": 1}.get(k, 2))
        return LoadView(
            stages=[_stage(name, stages[name]) for name in ordered],
            chart=_chart(gate, stages),
            saturated=gate.details.get("saturated") is True,
            service_log=access.text(gate.details.get("log")),
            locust_log=access.text(gate.details.get("locust_log")),
            database=db_view.build(access.mapping(gate.details.get("database"))),
        )

    def where_to_look(self, gate: GateResult, condition_id: str) -> list[str]:
        if condition_id.startswith("db_"):
            return db_view.where_to_look(access.mapping(gate.details.get("database")),
                                         condition_id)
        stage_name = "peak" if condition_id.startswith("peak_") else "normal"
        stage = access.mapping(access.mapping(gate.details.get("stages")).get(stage_name))
        if condition_id.endswith("error_rate"):
            failures = sorted(
                access.records(stage.get("failures_seen")),
                key=lambda f: -(access.num(f.get("count")) or 0.0),
            )
            return [
                f"{access.text(f.get('method'))} {access.text(f.get('name'))}: "
                f"{access.text(f.get('error'))} ({access.text(f.get('count'))} times)"
                for f in failures[:5]
            ]
        key = "p99_ms" if condition_id.endswith("p99_ms") else "p95_ms"
        endpoints = sorted(
            access.records(stage.get("endpoints")),
            key=lambda e: -(access.num(e.get(key)) or 0.0),
        )
        return [
            f"{access.text(e.get('method'))} {access.text(e.get('name'))}: "
            f"{key[:3]} {text.with_unit(access.num(e.get(key)), 'ms')} ({stage_name} load)"
            for e in endpoints[:5]
        ]
