"""Geometry of a grouped bar chart, drawn as inline SVG by the HTML template (no script)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from reports import text


@dataclass(frozen=True)
class Series:
    name: str
    css: str
    """Class of the series' bars and legend swatch."""
    values: list[float | None]
    """One value per group; None draws no bar."""
    targets: list[float | None]
    """The limit a bar must stay under, per group; a bar above it is drawn as failing."""
    intervals: list[tuple[float, float | None] | None] = field(default_factory=list)
    """Optional error bar per group: (low, high), high None when unbounded above."""


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    css: str
    label: str
    label_x: float
    label_y: float
    title: str


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class Mark:
    """A dashed target line over one bar."""

    x1: float
    x2: float
    y: float
    title: str


@dataclass(frozen=True)
class Legend:
    x: float
    css: str
    label: str


@dataclass(frozen=True)
class Whisker:
    """An error bar over one bar: from y1 (low) up to y2 (high, or the plot's top if open)."""

    x: float
    y1: float
    y2: float
    open_top: bool
    title: str


LEGEND_STEP = 150.0


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    plot_left: float
    plot_right: float
    plot_bottom: float
    bars: list[Bar]
    ticks: list[Tick]
    marks: list[Mark]
    groups: list[tuple[float, str]]
    legend: list[Legend]
    title: str
    key_x: float
    """Where the legend of `over target` and `target` starts, after the series."""
    whiskers: list[Whisker] = field(default_factory=list)


def nice_max(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 times a power of ten at or above `value`."""
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power


@dataclass(frozen=True)
class _Place:
    """Where one series' bar of one group goes."""

    group: str
    x: float
    width: float
    top: float
    bottom: float
    unit: str
    y_of: Callable[[float], float]


def _elements(
    one: Series, g: int, at: _Place
) -> tuple[Bar | None, Whisker | None, Mark | None]:
    """The bar, interval whisker and target mark of series ONE in group G (each when known)."""
    value = one.values[g] if g < len(one.values) else None
    limit = one.targets[g] if g < len(one.targets) else None
    interval = one.intervals[g] if g < len(one.intervals) else None
    x, unit, name = at.x, at.unit, f"{one.name} {at.group}"
    bar = whisker = mark = None
    if value is not None:
        y = at.y_of(value)
        bar = Bar(
            x=round(x + 1, 1), y=round(y, 1), width=round(at.width - 2, 1),
            height=round(max(at.bottom - y, 0.5), 1),
            css=f"{one.css} over" if limit is not None and value >= limit else one.css,
            label=text.number(round(value)), label_x=round(x + at.width / 2, 1),
            label_y=round(y - 4, 1),
            title=f"{name}: {text.with_unit(value, unit)}"
            + (f" (target < {text.with_unit(limit, unit)})" if limit is not None else ""),
        )
    if interval is not None and value is not None:
        low, high = interval
        whisker = Whisker(
            x=round(x + at.width / 2, 1), y1=round(at.y_of(low), 1),
            y2=round(at.y_of(high) if high is not None else at.top, 1),
            open_top=high is None,
            title=f"{name}: 95% interval {text.with_unit(low, unit)}"
            f" to {text.with_unit(high, unit) if high is not None else 'unbounded'}",
        )
    if limit is not None:
        mark = Mark(
            x1=round(x - 2, 1), x2=round(x + at.width + 2, 1), y=round(at.y_of(limit), 1),
            title=f"{name} target: < {text.with_unit(limit, unit)}",
        )
    return bar, whisker, mark


def bar_chart(
    title: str, groups: list[str], series: list[Series], unit: str,
    *, width: int = 720, height: int = 280,
) -> BarChart:
    left, right, top, bottom = 56.0, width - 12.0, 28.0, height - 34.0
    figures = [v for s in series for v in (*s.values, *s.targets) if v is not None]
    figures += [i[1] for s in series for i in s.intervals if i is not None and i[1] is not None]
    top_value = nice_max(max(figures, default=1.0) * 1.08)

    def y_of(value: float) -> float:
        return bottom - (bottom - top) * min(value, top_value) / top_value

    group_width = (right - left) / max(len(groups), 1)
    bar_width = min(34.0, group_width * 0.7 / max(len(series), 1))
    bars: list[Bar] = []
    marks: list[Mark] = []
    whiskers: list[Whisker] = []
    for g, group in enumerate(groups):
        start = left + g * group_width + (group_width - bar_width * len(series)) / 2
        for s, one in enumerate(series):
            place = _Place(group, start + s * bar_width, bar_width, top, bottom, unit, y_of)
            bar, whisker, mark = _elements(one, g, place)
            bars += [bar] if bar is not None else []
            whiskers += [whisker] if whisker is not None else []
            marks += [mark] if mark is not None else []
    ticks = [
        Tick(y=round(y_of(top_value * i / 4), 1), label=text.with_unit(top_value * i / 4, unit))
        for i in range(5)
    ]
    legend = [Legend(x=left + i * LEGEND_STEP, css=s.css, label=s.name)
              for i, s in enumerate(series)]
    return BarChart(
        width=width, height=height, plot_left=left, plot_right=right, plot_bottom=bottom,
        bars=bars, ticks=ticks, marks=marks,
        groups=[(round(left + (g + 0.5) * group_width, 1), name) for g, name in enumerate(groups)],
        legend=legend, title=title, key_x=left + len(series) * LEGEND_STEP, whiskers=whiskers,
    )
