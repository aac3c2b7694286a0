"""Milliseconds too small for the places they are kept or shown at (a 25 µs statement): kept
and shown with the digits that keep them from reading 0, while the conditions are still
compared at auditor.scoring's precision."""

from __future__ import annotations

import pytest

from auditor.model import ConditionSpec
from auditor.scoring import PRECISION, evaluate
from gates.load.db import report
from gates.load.db import view as db_view
from gates.load.db.aggregates import StageTimings, StatementStats
from gates.load.db.observer import Observed
from gates.load.precision import kept

pytestmark = pytest.mark.unit

DB_AVG = ConditionSpec("db_avg_ms", "Database statement average", "ms", "<", 100, "ms", "")


@pytest.mark.parametrize(("value", "places", "expected"), [
    (0.025, 1, 0.025),
    (0.025, 2, 0.03),
    (0.0004, 3, 0.0004),
    (0.00123, 3, 0.001),
    (0.000123, 3, 0.00012),
    (12.346, 2, 12.35),
    (0.0, 2, 0.0),
    (250.0, 3, 250.0),
])
def test_a_figure_that_would_round_to_0_keeps_its_first_digits(
    value: float, places: int, expected: float,
) -> None:
    assert kept(value, places) == expected


def _observed(*statements: StatementStats) -> Observed:
    observed = Observed("python", source="the instrumentation", overhead_us=1.0,
                        hooked=("sqlite3",))
    observed.stages = {"normal": StageTimings(statements), "peak": StageTimings(statements)}
    return observed


def test_a_statement_of_a_few_hundred_nanoseconds_is_not_kept_as_0_ms() -> None:
    found = report.measurement(_observed(StatementStats("SELECT ?", 10, 0.004, 0.00045)),
                               {"normal": 10, "peak": 10})
    assert found.values == {"db_avg_ms": 0.0004, "db_max_ms": 0.00045}
    assert found.details is not None
    normal = found.details.stages["normal"]
    assert (normal.avg_ms, normal.max_ms, normal.total_ms) == (0.0004, 0.00045, 0.004)
    assert (normal.top[0].mean_ms, normal.top[0].max_ms) == (0.0004, 0.00045)
    # Compared at 0.1 ms, as every figure in ms, but a time that would read 0 there keeps its
    # first two significant digits (auditor.scoring.round_value): the condition shows it.
    assert PRECISION["ms"] == 1
    assert evaluate(DB_AVG, found.values["db_avg_ms"], 100, True).value == 0.0004
    assert not [note for note in found.notes if "compared at" in note]


def test_figures_that_the_comparison_keeps_get_no_note() -> None:
    found = report.measurement(_observed(StatementStats("SELECT ?", 10, 0.5, 0.05)),
                               {"normal": 10, "peak": 10})
    assert found.values == {"db_avg_ms": 0.05, "db_max_ms": 0.05}
    assert not [note for note in found.notes if "compared at" in note]
    assert evaluate(DB_AVG, 0.025, 100, True).value == 0.025


def test_the_report_shows_statements_of_a_few_microseconds_as_such() -> None:
    found = report.measurement(
        _observed(StatementStats("SELECT name FROM t WHERE id = ?", 10, 0.03, 0.004),
                  StatementStats("SELECT 1", 10, 0.01, 0.002)),
        {"normal": 10, "peak": 10},
    )
    built = db_view.build(found.details)
    assert built is not None
    normal = built.stages[0]
    figures = dict(normal.figures)
    assert figures["average"] == "0.002 ms"
    assert figures["slowest"] == "0.004 ms"
    # Text, count, mean, max, total, per request.
    assert normal.statements[0][2:5] == ["0.003 ms", "0.004 ms", "0.03 ms"]
    assert normal.statements[1][2:5] == ["0.001 ms", "0.002 ms", "0.01 ms"]
    hints = db_view.where_to_look(found.details, "db_avg_ms")
    assert hints[0].endswith("10 times, mean 0.003 ms, max 0.004 ms")
    # Figures the places hold are shown at them, as before.
    slower = db_view.build(report.measurement(
        _observed(StatementStats("SELECT 2", 3, 37.0, 20.0)), {"normal": 3}).details)
    assert slower is not None
    assert slower.stages[0].figures[2] == ("average", "12.33 ms")
