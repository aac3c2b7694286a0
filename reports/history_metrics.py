"""The success metrics over time as the reports show them: in the scorecard's history section
and in the section of a gate that scores them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from auditor import access
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


def metrics_view(details: Mapping[str, object]) -> HistoryView:
    """The metrics as shown, from the gate's details or the scorecard's history section."""
    figures = access.mapping(details.get("figures"))
    rows = []
    for key, (title, basis) in TITLES.items():
        figure = access.mapping(figures.get(key))
        rows.append((
            title,
            _value(key, access.num(figure.get("value"))),
            f"{count_text(figure.get('basis'))} {basis}",
            access.text(figure.get("reason")),
        ))
    episodes = [
        (
            text.timestamp(access.text(e.get("failed_at"))),
            text.timestamp(access.text(e.get("recovered_at"))) or "not yet",
            _value("mttr_minutes", access.num(e.get("minutes"))),
        )
        for e in access.records(details.get("episodes"))
    ]
    firsts = [
        (access.text(f.get("branch")), text.timestamp(access.text(f.get("at"))),
         access.text(f.get("status")))
        for f in access.records(details.get("first_audits"))
    ]
    return HistoryView(
        window_days=count_text(details.get("window_days")),
        main_branch=access.text(details.get("main_branch")),
        main_branch_source=access.text(details.get("main_branch_source")),
        since=text.timestamp(access.text(details.get("since"))),
        figures=rows,
        episodes=episodes,
        first_audits=firsts,
    )


def count_text(value: object) -> str:
    figure = access.num(value)
    return text.number(figure) if figure is not None else "0"
