"""The load gate in the reports: offered vs achieved rates, the stages' figures with their 95%
intervals, per-endpoint verdicts, and the percentile chart with error bars."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from auditor.model import GateResult
from gates.load.db import view as db_view
from gates.load.details import Bounds, LoadDetails, StageFigures
from reports import chart, text
from reports.viewkit import LIST_LIMIT, count, more, threshold

PERCENTILES = (("p50", "p50_ms"), ("p95", "p95_ms"), ("p99", "p99_ms"), ("max", "max_ms"))
CHARTED = PERCENTILES[:3]
"""The maximum is one request, often a cold start: charted, it would flatten the percentiles."""
STAGE_ORDER = {"normal": 0, "peak": 1}


@dataclass(frozen=True)
class Stage:
    name: str
    figures: list[tuple[str, str]]
    endpoints: list[list[str]]
    more_endpoints: int
    failures: list[list[str]]
    more_failures: int
    held: str
    """Why the stage did not hold its rate; empty when it did."""


@dataclass(frozen=True)
class Statistic:
    condition: str
    samples: str
    interval: str
    method: str
    settled: str


@dataclass(frozen=True)
class LoadView:
    model: str
    stages: list[Stage]
    repeats: list[tuple[int, list[Stage]]]
    statistics: list[Statistic]
    confidence: str
    chart: chart.BarChart | None
    saturated: bool
    notes: list[str]
    service_log: str
    """Where the service's output was written."""
    locust_log: str
    """Where the load generator's output was written."""
    database: db_view.DbView | None = None
    """The database statements, when the gate observed them."""


def _ms(value: float | None) -> str:
    return text.with_unit(value, "ms")


def _rate(value: float | None) -> str:
    return f"{value:.1f} req/s" if value is not None else "—"


def _bounds(bounds: Bounds, unit: str) -> str:
    if bounds.low is None:
        return ""
    high = text.with_unit(bounds.high, unit) if bounds.high is not None else "no upper bound"
    return f" (95%: {text.with_unit(bounds.low, unit)} to {high})"


def _stage(name: str, data: StageFigures, users_label: str) -> Stage:
    figures: list[tuple[str, str]] = [
        (users_label, count(data.users)),
        ("duration", text.duration(data.duration_s) if data.duration_s is not None else "—"),
        ("requests (sample size)", count(data.requests)),
        ("throughput", _rate(data.rps)),
    ]
    if data.offered_rps is not None:
        figures.append(("offered", _rate(data.offered_rps)))
    if data.achieved_rps is not None:
        figures.append(("achieved (no error)", _rate(data.achieved_rps)))
    if data.scheduled:
        figures.append(("late requests", f"{count(data.late)} of {count(data.scheduled)}"))
    figures += [
        ("failures", count(data.failures)),
        ("timeouts", count(data.timeouts)),
        ("error rate", text.with_unit(data.error_rate, "%") + _bounds(data.error_bounds, "%")),
        ("p50", _ms(data.p50_ms)),
        ("p95", _ms(data.p95_ms) + _bounds(data.p95_bounds, "ms")),
        ("p99", _ms(data.p99_ms) + _bounds(data.p99_bounds, "ms")),
        ("max", _ms(data.max_ms)),
    ]
    return Stage(
        name=name,
        figures=figures,
        endpoints=[
            [e.method, e.name, count(e.requests), count(e.failures), count(e.timeouts),
             _ms(e.median_ms), _ms(e.p95_ms), _ms(e.p99_ms), _ms(e.max_ms),
             f"{e.rps or 0.0:.1f}", e.verdict or "—"]
            for e in sorted(data.endpoints, key=lambda e: -(e.p95_ms or 0.0))[:LIST_LIMIT]
        ],
        more_endpoints=more(len(data.endpoints)),
        failures=[
            [f.method, f.name, text.shorten(text.clean(f.error), 300), count(f.count)]
            for f in sorted(data.failures_seen, key=lambda f: -f.count)[:LIST_LIMIT]
        ],
        more_failures=more(len(data.failures_seen)),
        held=data.held,
    )


def _stages(stages: Mapping[str, StageFigures], model: str) -> list[Stage]:
    ordered = sorted(stages, key=lambda k: STAGE_ORDER.get(k, 2))
    label = "arrival streams" if model == "open" else "users"
    return [_stage(name, stages[name], label) for name in ordered]


def _interval(bounds: Bounds) -> tuple[float, float | None] | None:
    return (bounds.low, bounds.high) if bounds.low is not None else None


def _chart(gate: GateResult, stages: Mapping[str, StageFigures]) -> chart.BarChart | None:
    series: list[chart.Series] = []
    for name, css in (("normal", "s-normal"), ("peak", "s-peak")):
        data = stages.get(name)
        if data is None:
            continue
        prefix = "" if name == "normal" else "peak_"
        load = (f"{data.offered_rps:.0f} req/s offered" if data.offered_rps
                else f"{count(data.users)} users")
        series.append(
            chart.Series(
                name=f"{name} ({load})",
                css=css,
                values=[data.p50_ms, data.p95_ms, data.p99_ms],
                targets=[threshold(gate, prefix + key) for _, key in CHARTED],
                intervals=[None, _interval(data.p95_bounds), _interval(data.p99_bounds)],
            )
        )
    if not any(v is not None for s in series for v in s.values):
        return None
    return chart.bar_chart(
        "Response time percentiles by load stage (bars: 95% intervals)",
        [label for label, _ in CHARTED], series, "ms",
    )


def _statistics(details: LoadDetails, gate: GateResult) -> list[Statistic]:
    units = {c.id: c.unit for c in gate.conditions}
    rows = []
    for condition_id, stats in details.statistics.items():
        unit = units.get(condition_id, "")
        high = text.with_unit(stats.high, unit) if stats.high is not None else "no upper bound"
        settled = "yes" if stats.settled else (
            f"no: about {count(stats.needed_requests)} requests would settle it"
            if stats.needed_requests else "no"
        )
        rows.append(Statistic(
            condition=condition_id, samples=count(stats.samples),
            interval=f"{text.with_unit(stats.low, unit)} to {high}",
            method=stats.method, settled=settled,
        ))
    return rows


class LoadReportView:
    template = "view.html.j2"
    findings_noun = "findings"

    def build(self, gate: GateResult) -> LoadView | None:
        details = gate.details
        if not isinstance(details, LoadDetails):
            return None
        model = details.model or "closed"
        return LoadView(
            model=model,
            stages=_stages(details.stages, model),
            repeats=[(i + 1, _stages(r, model)) for i, r in enumerate(details.repeats)],
            statistics=_statistics(details, gate),
            confidence=details.confidence or "estimate",
            chart=_chart(gate, details.stages),
            saturated=details.saturated is True,
            notes=list(details.notes),
            service_log=details.log or "",
            locust_log=details.locust_log or "",
            database=db_view.build(details.database),
        )

    def where_to_look(self, gate: GateResult, condition_id: str) -> list[str]:
        details = gate.details
        if not isinstance(details, LoadDetails):
            return []
        if condition_id.startswith("db_"):
            return db_view.where_to_look(details.database, condition_id)
        stage_name = "peak" if condition_id.startswith("peak_") else "normal"
        stage = details.stages.get(stage_name, StageFigures())
        if condition_id == "peak_throughput":
            return [
                f"peak: offered {_rate(stage.offered_rps)}, achieved {_rate(stage.achieved_rps)}"
                + (f"; {stage.held}" if stage.held else "")
            ]
        if condition_id.endswith("error_rate"):
            if condition_id.startswith("endpoint_"):
                worst = sorted(stage.endpoints, key=lambda e: -(e.error_rate or 0.0))
                return [
                    f"{e.method} {e.name}: error rate {text.with_unit(e.error_rate, '%')} "
                    f"of {count(e.requests)} requests ({count(e.timeouts)} timeouts)"
                    for e in worst[:5]
                ]
            return [
                f"{f.method} {f.name}: {f.error} ({f.count} times)"
                for f in sorted(stage.failures_seen, key=lambda f: -f.count)[:5]
            ]
        key = "p99_ms" if condition_id.endswith("p99_ms") else "p95_ms"
        endpoints = sorted(stage.endpoints, key=lambda e: -(getattr(e, key) or 0.0))
        return [
            f"{e.method} {e.name}: {key[:3]} {_ms(getattr(e, key))} ({stage_name} load, "
            f"{count(e.requests)} requests)"
            for e in endpoints[:5]
        ]
