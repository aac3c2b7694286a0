"""The scoring core at the edges its other tests leave open: each assertion pins one way a
changed comparison, default or rounding would change a verdict."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from auditor import scoring
from auditor.model import (
    Condition,
    ConditionSpec,
    Details,
    GateResult,
    Measurement,
    Population,
    ToolRun,
)
from auditor.plugin import GateConfig

pytestmark = pytest.mark.unit

COVERAGE = ConditionSpec("line_coverage", "Line coverage", "%", ">=", 80, "percent", "")
FAILED = ConditionSpec("tests_failed", "Failing tests", "", "<=", 0, "count", "")
NEW = ConditionSpec("new_line_coverage", "New lines", "%", ">=", 80, "percent", "",
                    ratchets=False)
AT_MOST = ConditionSpec("p95_ms", "p95", "ms", "<=", 200, "ms", "")

NO_TOOL = ToolRun(name="", version="")


def test_rounding_is_half_up_at_the_kinds_precision_and_two_places_otherwise() -> None:
    assert scoring.round_value(0.125, "percent") == 0.13  # half-even would give 0.12
    assert scoring.round_value(2.345, "other") == 2.35  # an unknown kind: two places
    assert scoring.round_value(12.25, "ms") == 12.3
    assert scoring.round_value(2.5, "count") == 3.0
    assert scoring.round_value(0.0, "percent") == 0.0  # a true 0 stays 0
    assert scoring.round_value(100.0, "percent") == 100.0
    # A time that would read 0 ms keeps its first two significant digits.
    assert scoring.round_value(0.001, "ms") == 0.001
    assert scoring.round_value(0.0254, "ms") == 0.025
    assert scoring.round_value(0.0, "ms") == 0.0


def test_compare_at_equality() -> None:
    assert scoring.compare(2, "<=", 2) is True
    assert scoring.compare(1, "<=", 2) is True
    assert scoring.compare(3, "<=", 2) is False
    assert scoring.compare(1, ">=", 2) is False
    assert scoring.compare(2, "<", 2) is False
    assert scoring.evaluate(AT_MOST, 200, 200, True).status == "passed"
    assert scoring.evaluate(AT_MOST, 200.1, 200, True).status == "failed"


def test_a_missing_value_keeps_its_threshold_and_blocking() -> None:
    missing = scoring.evaluate(COVERAGE, None, 75, False)
    assert (missing.threshold, missing.blocking, missing.value) == (75, False, None)


@pytest.mark.parametrize(("spec", "figure", "tolerance", "expected"), [
    (COVERAGE, 70.0, 0.0, 70.0),
    (COVERAGE, 70.0, 0.5, 69.5),
    (COVERAGE, 0.4, 0.5, 0.0),  # never below 0
    (COVERAGE, 0.3, 0.0, 0.3),
    (COVERAGE, 80.0, 0.0, None),  # equal to the threshold: the threshold holds
    (COVERAGE, None, 0.0, None),
    (NEW, 70.0, 0.0, None),  # a figure of one change never ratchets
    (AT_MOST, 150.0, 0.0, None),  # only >= conditions ratchet
])
def test_ratchet(spec: ConditionSpec, figure: float | None, tolerance: float,
                 expected: float | None) -> None:
    threshold = 80.0 if spec.op == ">=" else 200.0
    assert scoring.ratchet(spec, threshold, figure, tolerance) == expected


def test_a_ratchet_rounds_at_the_conditions_precision() -> None:
    spec = replace(COVERAGE, kind="count")
    assert scoring.ratchet(spec, 80, 70.4, 0.0) == 70.0


def test_evaluate_records_the_baseline_figure_only_for_ratcheting_ge_conditions() -> None:
    assert scoring.evaluate(COVERAGE, 75, 80, True, figure=70.0).baseline == 70.0
    assert scoring.evaluate(COVERAGE, 75, 80, True, figure=70.0).status == "passed"
    assert scoring.evaluate(COVERAGE, 75, 80, True).status == "failed"
    # No tolerance unless one is given.
    assert scoring.evaluate(COVERAGE, 69.6, 80, True, figure=70.0).status == "failed"
    assert scoring.evaluate(NEW, 75, 80, True, figure=70.0).baseline is None
    assert scoring.evaluate(AT_MOST, 75, 80, True, figure=70.0).baseline is None


def _score(specs: list[ConditionSpec], measurement: Measurement,
           figures: dict[str, float] | None = None, tolerance: float | None = None,
           blocking: bool = False) -> list[Condition]:
    thresholds, blocks = {s.id: s.default for s in specs}, {s.id: blocking for s in specs}
    if tolerance is None:  # the default, no tolerance
        return scoring.score_conditions(specs, thresholds, blocks, measurement, figures)[0]
    return scoring.score_conditions(specs, thresholds, blocks, measurement, figures,
                                    tolerance)[0]


def test_score_conditions_passes_figures_and_tolerance_through() -> None:
    measured = Measurement(values={"line_coverage": 69.6})
    held = _score([COVERAGE], measured, {"line_coverage": 70.0}, tolerance=0.5)[0]
    assert (held.status, held.ratchet, held.baseline) == ("passed", 69.5, 70.0)
    strict = _score([COVERAGE], measured, {"line_coverage": 70.0})[0]
    assert strict.status == "failed"


def test_an_empty_population_keeps_the_threshold_and_blocking() -> None:
    spec = replace(FAILED, population="tests")
    measured = Measurement(values={"tests_failed": 0},
                           populations={"tests": Population("tests executed", 0)})
    condition = _score([spec], measured, blocking=False)[0]
    assert (condition.status, condition.threshold, condition.blocking) == ("error", 0, False)


def test_unknown_ids_are_named_with_the_declared_ones() -> None:
    _, problems = scoring.score_conditions(
        [COVERAGE, FAILED], {"line_coverage": 80, "tests_failed": 0},
        {"line_coverage": True, "tests_failed": True},
        Measurement(values={"line_coverage": 90, "tests_failed": 0, "bogus": 1}),
    )
    assert problems == [
        "the gate reported `bogus`, which is not one of its conditions "
        "(line_coverage, tests_failed)"
    ]


class _Gate:
    id = "g"
    title = "G"
    tool = "tool"
    conditions = (COVERAGE, FAILED)


def _measure(measurement: Measurement, duration: float = 1.23456,
             figures: dict[str, float] | None = None, tolerance: float | None = None
             ) -> GateResult:
    config = GateConfig({"line_coverage": 80, "tests_failed": 0},
                        {"line_coverage": True, "tests_failed": True}, {}, 60)
    gate: Any = _Gate()
    if tolerance is None:  # the default, no tolerance
        return scoring.score_measurement(gate, config, measurement, duration, figures)
    return scoring.score_measurement(gate, config, measurement, duration, figures, tolerance)


def test_score_measurement_scores_rounds_and_names_the_tool() -> None:
    result = _measure(Measurement(values={"line_coverage": 90.0, "tests_failed": 1}))
    assert result.status == "failed"
    assert result.score == 50.0
    assert result.duration_s == 1.235
    assert result.reason is None
    assert result.tool == ToolRun(name="tool", version="")
    named = _measure(Measurement(values={"line_coverage": 90.0, "tests_failed": 0},
                                 tool_name="pytest", tool_version="9"))
    assert (named.status, named.score, named.tool) == (
        "passed", 100.0, ToolRun(name="pytest", version="9"))


def test_score_measurement_passes_the_baseline_figures_on() -> None:
    measurement = Measurement(values={"line_coverage": 69.6, "tests_failed": 0})
    held = _measure(measurement, figures={"line_coverage": 70.0}, tolerance=0.5)
    assert held.status == "passed"
    assert _measure(measurement, figures={"line_coverage": 70.0}).status == "failed"


def test_a_gate_whose_only_measured_condition_failed_or_is_unsettled_measured() -> None:
    failed = _measure(Measurement(values={"tests_failed": 2},
                                  skipped={"line_coverage": "not here"}))
    assert (failed.status, failed.reason) == ("failed", None)
    unsettled = _measure(Measurement(values={"line_coverage": 90.0},
                                     skipped={"tests_failed": "not here"},
                                     inconclusive={"line_coverage": "few"}))
    assert (unsettled.status, unsettled.reason) == ("failed", None)


def test_several_reasons_are_joined_once_each_and_the_score_is_zero() -> None:
    result = _measure(Measurement(values={}, unmeasured={"line_coverage": "a",
                                                         "tests_failed": "b"}))
    assert (result.status, result.score, result.reason) == ("error", 0.0, "a; b")


@pytest.mark.parametrize(("statuses", "expected"), [
    (["passed", "failed"], "failed"),
    (["passed", "skipped"], "passed"),
    (["passed"], "passed"),
])
def test_overall_status(statuses: list[str], expected: str) -> None:
    gates = [GateResult("g", "g", s, 0, 0, None, NO_TOOL, [], [], Details())  # type: ignore[arg-type]
             for s in statuses]
    assert scoring.overall_status(gates) == expected


def test_overall_score_rounds_to_one_place_and_is_zero_without_gates() -> None:
    gates = [GateResult("g", "g", "passed", s, 0, None, NO_TOOL, [], [], Details())
             for s in (100, 50, 50)]
    assert scoring.overall_score(gates) == 66.7
    assert scoring.overall_score([]) == 0.0


@pytest.mark.parametrize(("score", "status", "grade"), [
    (90, "passed", "A"), (80, "passed", "B"), (85, "failed", "C"), (70, "passed", "C"),
    (60, "passed", "D"), (59.9, "passed", "F"),
])
def test_grade_at_each_floor(score: float, status: str, grade: str) -> None:
    assert scoring.grade(score, status) == grade  # type: ignore[arg-type]
