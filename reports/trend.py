"""Line charts of the recent runs of a branch (score, and each gate's key figure), drawn as inline
SVG by the HTML template, with the threshold as a dashed line. No script."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from auditor.history.section import key_condition
from auditor.model import Scorecard
from auditor.sections import TrendRun
from reports import text

WIDTH, HEIGHT = 360, 150
LEFT, RIGHT, TOP, BOTTOM = 46.0, WIDTH - 10.0, 14.0, HEIGHT - 26.0
SCORE_UNIT = "/100"


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    title: str


@dataclass(frozen=True)
class LineChart:
    id: str
    """`score` or `gate.condition`."""
    title: str
    width: int
    height: int
    points: list[Point]
    polyline: str
    """The `points` attribute of the polyline."""
    target_y: float | None
    target_label: str
    ticks: list[tuple[float, str]]
    first: str
    last: str
    plot: tuple[float, float, float, float]
    """left, top, right, bottom."""


@dataclass(frozen=True)
class Trend:
    branch: str
    runs: int
    charts: list[LineChart]


def _bounds(values: list[float], target: float | None, unit: str) -> tuple[float, float]:
    """The value range drawn: the figures and the target with a margin, never below 0 for
    figures that cannot be negative nor above 100 for percentages and scores."""
    figures = [*values, *([target] if target is not None else [])]
    low, high = min(figures), max(figures)
    pad = (high - low) * 0.1 or max(abs(high) * 0.1, 1.0)
    low, high = low - pad, high + pad
    if min(figures) >= 0:
        low = max(low, 0.0)
    if unit in ("%", SCORE_UNIT) and max(figures) <= 100:
        high = min(high, 100.0)
    return low, high


def chart(
    chart_id: str, title: str, runs: Sequence[TrendRun], values: list[float | None], unit: str,
    target: float | None, target_label: str,
) -> LineChart | None:
    known = [v for v in values if v is not None]
    if not known:
        return None
    low, high = _bounds(known, target, unit)
    step = (RIGHT - LEFT) / max(len(values) - 1, 1)

    def y_of(value: float) -> float:
        return round(BOTTOM - (BOTTOM - TOP) * (value - low) / (high - low), 1)

    points = [
        Point(
            round(LEFT + i * step if len(values) > 1 else (LEFT + RIGHT) / 2, 1), y_of(v),
            f"{text.timestamp(runs[i].started_at)} {(runs[i].commit or '')[:10]}: "
            f"{text.with_unit(v, '' if unit == SCORE_UNIT else unit)}",
        )
        for i, v in enumerate(values)
        if v is not None
    ]
    return LineChart(
        id=chart_id, title=title, width=WIDTH, height=HEIGHT, points=points,
        polyline=" ".join(f"{p.x},{p.y}" for p in points),
        target_y=y_of(target) if target is not None else None, target_label=target_label,
        ticks=[(y_of(high), text.with_unit(round(high, 2), "" if unit == SCORE_UNIT else unit)),
               (y_of(low), text.with_unit(round(low, 2), "" if unit == SCORE_UNIT else unit))],
        first=text.timestamp(runs[0].started_at), last=text.timestamp(runs[-1].started_at),
        plot=(LEFT, TOP, RIGHT, BOTTOM),
    )


def trend(card: Scorecard) -> Trend | None:
    """The charts of the branch's recent runs, when at least two runs are known."""
    section = card.history
    if section is None or len(section.trend) < 2:
        return None
    runs = section.trend
    charts: list[LineChart] = []
    score = chart("score", "Score", runs, [r.score for r in runs], SCORE_UNIT, None, "")
    if score is not None:
        charts.append(score)
    for gate in card.gates:
        if not gate.conditions:
            continue
        cid = key_condition([(c.id, c.unit) for c in gate.conditions])
        condition = next(c for c in gate.conditions if c.id == cid)
        key = f"{gate.id}.{cid}"
        target = f"{text.target(condition)}"
        found = chart(
            key, f"{gate.title or gate.id}: {condition.title}", runs,
            [r.figures.get(key) for r in runs], condition.unit, text.applied(condition), target,
        )
        if found is not None:
            charts.append(found)
    return Trend(branch=section.branch or "", runs=len(runs), charts=charts)
