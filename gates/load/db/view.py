"""The database part of the load gate's report section: each stage's figures and top statements."""

from __future__ import annotations

from dataclasses import dataclass

from gates.load.details import DatabaseDetails, DbStage, DbStatement
from gates.load.precision import kept
from reports import text
from reports.viewkit import count

STATEMENT_CHARS = 300
WHERE_TO_LOOK = 5


@dataclass(frozen=True)
class DbStageView:
    name: str
    figures: list[tuple[str, str]]
    statements: list[list[str]]
    """Text, count, mean, max, total, per request; the last cell flags a likely N+1."""
    flagged: list[str]
    """Likely N+1 statements, with their count per request."""


@dataclass(frozen=True)
class DbView:
    source: str
    stages: list[DbStageView]
    problems: list[str]
    error: str


PLACES = 2
"""Decimal places the milliseconds are shown at, or more for a figure they would show as 0."""


def _ms(value: float | None) -> str:
    return text.with_unit(kept(value, PLACES) if value is not None else None, "ms")


def _per_request(value: float | None) -> str:
    return f"{value:.2f}" if value is not None else "—"


def _text(statement: DbStatement) -> str:
    return text.shorten(text.clean(statement.text), STATEMENT_CHARS)


def _stage(name: str, data: DbStage) -> DbStageView:
    return DbStageView(
        name=name,
        figures=[
            ("statements", count(data.statements)),
            ("distinct", count(data.distinct)),
            ("average", _ms(data.avg_ms)),
            ("slowest", _ms(data.max_ms)),
            ("per request", _per_request(data.per_request)),
        ],
        statements=[
            [
                _text(s),
                count(s.count),
                _ms(s.mean_ms),
                _ms(s.max_ms),
                _ms(s.total_ms),
                _per_request(s.per_request),
                "likely N+1" if s.n_plus_one else "",
            ]
            for s in data.top
        ],
        flagged=[
            f"{_text(s)} ({_per_request(s.per_request)} per request)" for s in data.n_plus_one
        ],
    )


def build(details: DatabaseDetails | None) -> DbView | None:
    """The view of the `database` details, or None when the gate observed no database."""
    if details is None:
        return None
    ordered = sorted(details.stages, key=lambda k: {"normal": 0, "peak": 1}.get(k, 2))
    return DbView(
        source=details.source,
        stages=[_stage(name, details.stages[name]) for name in ordered],
        problems=list(details.problems),
        error=details.error or "",
    )


def where_to_look(details: DatabaseDetails | None, condition_id: str) -> list[str]:
    """The normal stage's statements that weigh most on the condition: by total time for the
    average, by their slowest execution for the maximum."""
    normal = details.stages.get("normal") if details is not None else None
    if normal is None:
        return []
    by_max = condition_id == "db_max_ms"
    ranked = sorted(normal.top, key=lambda s: -(s.max_ms if by_max else s.total_ms))
    return [
        f"{text.shorten(text.clean(s.text), 120)}: "
        f"{count(s.count)} times, mean {_ms(s.mean_ms)}, max {_ms(s.max_ms)}"
        for s in ranked[:WHERE_TO_LOOK]
    ]
