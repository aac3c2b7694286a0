"""The history part of the HTML report: what deltas are taken against, warnings of the store,
the trend of the branch, the success metrics, and the targets not audited here."""

from __future__ import annotations

from dataclasses import dataclass

from auditor.history.not_audited import NOT_AUDITED, NotAudited
from auditor.model import Scorecard
from reports import text
from reports.history_metrics import HistoryView, metrics_view
from reports.trend import Trend, trend


@dataclass(frozen=True)
class HistoryCard:
    store: str | None
    recorded: bool
    base: str | None
    """`main @ 3f2a1c4d5e, 2026-11-25 10:00 UTC`, or None without a base run."""
    base_branch: str | None
    warnings: list[str]
    trend: Trend | None
    trend_runs: int
    metrics: HistoryView | None
    not_audited: tuple[NotAudited, ...]


def history_card(card: Scorecard) -> HistoryCard | None:
    section = card.history
    if section is None:
        return None
    base = None
    if section.base is not None:
        when = text.timestamp(section.base.started_at) if section.base.started_at else ""
        source = " (--compare)" if section.base.source == "compare" else ""
        base = f"{section.base.label}{source}" + (f", {when}" if when else "")
    return HistoryCard(
        store=section.store,
        recorded=section.recorded,
        base=base,
        base_branch=section.base_branch,
        warnings=[text.clean(w) for w in section.warnings],
        trend=trend(card),
        trend_runs=len(section.trend),
        metrics=metrics_view(section.metrics) if section.metrics else None,
        not_audited=NOT_AUDITED,
    )
