"""The success metrics over time as the reports show them: in the scorecard's history section
and in the section of a gate that scores them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from auditor.sections import Episode, FirstAudit, MetricFigure
from reports import text

TITLES = {
    "build_success_rate": ("Build success rate", "audits on the main branch"),
    "first_time_success_rate": ("First-time success rate", "new branches"),
    "mttr_minutes": ("Mean time to recovery", "recoveries"),
}


@dataclass(frozen=True)
class HistoryView:
    window_days: str
    main_branch: str
    main_branch_source: str
    since: str
    figures: list[tuple[str, str, str, str]]
    """Title, value, what the figure is based on, and why it has no value."""
    episodes: list[tuple[str, str, str]]
    first_audits: list[tuple[str, str, str]]


def _value(key: str, value: float | None) -> str:
    if value is None:
        return "—"
    return text.with_unit(round(value, 2), "min" if key == "mttr_minutes" else "%")


class MetricsRecord(Protocol):
    """The success metrics as the history section (auditor.sections.Metrics) and the history
    gate's details both carry them."""

    @property
    def window_days(self) -> int | None: ...
    @property
    def main_branch(self) -> str | None: ...
    @property
    def since(self) -> str | None: ...
    @property
    def figures(self) -> Mapping[str, MetricFigure]: ...
    @property
    def episodes(self) -> Sequence[Episode]: ...
    @property
    def first_audits(self) -> Sequence[FirstAudit]: ...


def _figure_row(key: str, title: str, basis: str, figure: MetricFigure | None) -> tuple[
    str, str, str, str
]:
    if figure is None:
        return title, _value(key, None), f"0 {basis}", ""
    return (title, _value(key, figure.value), f"{text.number(figure.basis)} {basis}",
            figure.reason or "")


def metrics_view(metrics: MetricsRecord, main_branch_source: str = "") -> HistoryView:
    """The metrics as shown, from the history section or the history gate's details."""
    return HistoryView(
        window_days=text.number(metrics.window_days or 0),
        main_branch=metrics.main_branch or "",
        main_branch_source=main_branch_source,
        since=text.timestamp(metrics.since or ""),
        figures=[
            _figure_row(key, title, basis, metrics.figures.get(key))
            for key, (title, basis) in TITLES.items()
        ],
        episodes=[
            (text.timestamp(e.failed_at), text.timestamp(e.recovered_at or "") or "not yet",
             _value("mttr_minutes", e.minutes))
            for e in metrics.episodes
        ],
        first_audits=[(f.branch, text.timestamp(f.at), f.status) for f in metrics.first_audits],
    )
