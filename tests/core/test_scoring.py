"""Threshold comparison and scoring at their boundaries."""

from __future__ import annotations

import pytest

from auditor import scoring
from auditor.model import (
    Condition,
    ConditionSpec,
    Details,
    GateResult,
    Measurement,
    Op,
    Status,
    ToolRun,
)

pytestmark = pytest.mark.unit

PERCENT = ConditionSpec("line_coverage", "Line coverage", "%", ">=", 80, "percent", "")
COUNT = ConditionSpec("tests_failed", "Failing tests", "", "<=", 0, "count", "")
MS = ConditionSpec("p95_ms", "p95", "ms", "<", 200, "ms", "")

NO_TOOL = ToolRun(name="", version="")


@pytest.mark.parametrize(
    ("value", "threshold", "status"),
    [
        (80.0, 80, "passed"),
        (79.994, 80, "failed"),
        (79.995, 80, "passed"),  # compared at 2 decimal places, rounded half up
        (99.999, 100, "failed"),  # never rounds up to 100
        (100.0, 100, "passed"),
        (0.0, 0, "passed"),
    ],
)
def test_percent_boundaries(value: float, threshold: float, status: Status) -> None:
    assert scoring.evaluate(PERCENT, value, threshold, True).status == status


def test_percent_under_100_shows_99_99() -> None:
    assert scoring.evaluate(PERCENT, 99.999, 100, True).value == 99.99


def test_percent_above_zero_never_rounds_to_zero() -> None:
    spec = ConditionSpec("error_rate", "Error rate", "%", "<", 0.1, "percent", "")
    assert scoring.evaluate(spec, 0.001, 0.1, True).value == 0.01


@pytest.mark.parametrize(
    ("value", "status"), [(0, "passed"), (1, "failed")]
)
def test_count_boundaries(value: float, status: Status) -> None:
    assert scoring.evaluate(COUNT, value, 0, True).status == status


@pytest.mark.parametrize(
    ("value", "status"), [(199.94, "passed"), (199.95, "failed"), (200, "failed")]
)
def test_strict_less_than_at_one_decimal(value: float, status: Status) -> None:
    assert scoring.evaluate(MS, value, 200, True).status == status


@pytest.mark.parametrize(
    ("op", "value", "expected"),
    [("<", 1, True), ("<", 2, False), ("<=", 2, True), (">=", 2, True), ("==", 2, True),
     ("==", 3, False)],
)
def test_compare(op: Op, value: float, expected: bool) -> None:
    assert scoring.compare(value, op, 2) is expected


def test_missing_value_is_an_error() -> None:
    condition = scoring.evaluate(PERCENT, None, 80, True)
    assert condition.status == "error"
    assert condition.reason == scoring.NO_REASON


def _cond(status: Status, blocking: bool = True) -> Condition:
    return Condition("c", "c", 1, "", "<=", 0, status, blocking)


def _gate(status: Status, score: float) -> GateResult:
    return GateResult("g", "g", status, score, 0.0, None, NO_TOOL, [], [], Details())


def test_non_blocking_failure_does_not_fail_the_gate() -> None:
    assert scoring.gate_status([_cond("passed"), _cond("failed", blocking=False)]) == "passed"
    assert scoring.gate_status([_cond("failed")]) == "failed"


def test_gate_score_weights_blocking_conditions() -> None:
    assert scoring.gate_score([_cond("passed"), _cond("failed", blocking=False)]) == 66.7
    assert scoring.gate_score([]) == 100.0


def test_overall_status_error_wins_over_failed() -> None:
    gates = [_gate("failed", 50), _gate("error", 0)]
    assert scoring.overall_status(gates) == "error"
    assert scoring.exit_code(scoring.overall_status(gates)) == 3


def test_all_skipped_is_an_error() -> None:
    assert scoring.overall_status([_gate("skipped", 0)]) == "error"


def test_overall_score_ignores_skipped_gates() -> None:
    assert scoring.overall_score([_gate("passed", 100), _gate("skipped", 0),
                                  _gate("failed", 50)]) == 75.0


@pytest.mark.parametrize(
    ("score", "status", "grade"),
    [(95, "passed", "A"), (85, "passed", "B"), (95, "failed", "C"), (65, "failed", "D"),
     (10, "passed", "F"), (100, "error", "F")],
)
def test_grade(score: float, status: Status, grade: str) -> None:
    assert scoring.grade(score, status) == grade


def test_exit_codes() -> None:
    assert [scoring.exit_code(s) for s in ("passed", "failed", "error")] == [0, 1, 3]


def test_an_inconclusive_condition_blocks_like_a_failure() -> None:
    assert scoring.gate_status([_cond("passed"), _cond("inconclusive")]) == "failed"
    assert scoring.gate_status([_cond("inconclusive", blocking=False)]) == "passed"
    assert scoring.gate_score([_cond("passed"), _cond("inconclusive")]) == 50.0


def test_a_passing_value_the_gate_calls_unsettled_is_inconclusive_with_its_reason() -> None:
    measurement = Measurement(values={"c": 50.0, "d": 90.0},
                              inconclusive={"c": "too few samples", "d": "too few samples"})
    specs = [ConditionSpec("c", "c", "%", ">=", 40, "percent", "c"),
             ConditionSpec("d", "d", "%", ">=", 95, "percent", "d")]
    conditions, problems = scoring.score_conditions(
        specs, {"c": 40, "d": 95}, {"c": True, "d": True}, measurement
    )
    assert problems == []
    assert [(c.status, c.reason) for c in conditions] == [
        ("inconclusive", "too few samples"),
        ("failed", None),  # a failing value stays failed
    ]
