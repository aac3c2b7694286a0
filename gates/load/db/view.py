"""The database part of the load gate's report section: each stage's figures and top statements."""

from __future__ import annotations

from dataclasses import dataclass

from auditor import access
from reports import text
from reports.viewkit import count

STATEMENT_CHARS = 300
WHERE_TO_LOOK = 5


@dataclass(frozen=True)
class DbStage:
    name: str
    figures: list[tuple[str, str]]
    statements: list[list[str]]
    """Text, count, mean, max, total, per request; the last cell flags a likely N+1."""
    flagged: list[str]
    """Likely N+1 statements, with their count per request."""


@dataclass(frozen=True)
class DbView:
    source: str
    stages: list[DbStage]
    problems: list[str]
    error: str


def _ms(value: object) -> str:
    figure = access.num(value)
    return text.with_unit(round(figure, 2) if figure is not None else None, "ms")


def _per_request(value: object) -> str:
    figure = access.num(value)
    return f"{figure:.2f}" if figure is not None else "—"


def _text(statement: dict[str, object]) -> str:
    return text.shorten(text.clean(access.text(statement.get("text"))), STATEMENT_CHARS)


def _stage(name: str, data: dict[str, object]) -> DbStage:
    top = access.records(data.get("top"))
    return DbStage(
        name=name,
        figures=[
            ("statements", count(data.get("statements"))),
            ("distinct", count(data.get("distinct"))),
            ("average", _ms(data.get("avg_ms"))),
            ("slowest", _ms(data.get("max_ms"))),
            ("per request", _per_request(data.get("per_request"))),
        ],
        statements=[
            [
                _text(s),
                count(s.get("count")),
                _ms(s.get("mean_ms")),
                _ms(s.get("max_ms")),
                _ms(s.get("total_ms")),
                _per_request(s.get("per_request")),
                "likely N+1" if s.get("n_plus_one") is True else "",
            ]
            for s in top
        ],
        flagged=[
            f"{_text(s)} ({_per_request(s.get('per_request'))} per request)"
            for s in access.records(data.get("n_plus_one"))
        ],
    )


def build(details: dict[str, object]) -> DbView | None:
    """The view of `details["database"]`, or None when the gate observed no database."""
    if not details:
        return None
    stages = access.mapping(details.get("stages"))
    ordered = sorted(stages, key=lambda k: {"normal": 0, "peak": 1}.get(k, 2))
    return DbView(
        source=access.text(details.get("source")),
        stages=[_stage(name, access.mapping(stages[name])) for name in ordered],
        problems=access.strings(details.get("problems")),
        error=access.text(details.get("error")),
    )


def where_to_look(details: dict[str, object], condition_id: str) -> list[str]:
    """The normal stage's statements that weigh most on the condition: by total time for the
    average, by their slowest execution for the maximum."""
    normal = access.mapping(access.mapping(details.get("stages")).get("normal"))
    key = "max_ms" if condition_id == "db_max_ms" else "total_ms"
    ranked = sorted(access.records(normal.get("top")),
                    key=lambda s: -(access.num(s.get(key)) or 0.0))
    return [
        f"{text.shorten(text.clean(access.text(s.get('text'))), 120)}: "
        f"{count(s.get('count'))} times, mean {_ms(s.get('mean_ms'))}, "
        f"max {_ms(s.get('max_ms'))}"
        for s in ranked[:WHERE_TO_LOOK]
    ]
