"""Pure scoring: conditions against thresholds, gate and overall scores, grade, exit code.

Precision: percentages are compared at two decimal places and milliseconds at one, after
rounding the measured value half-up; a percentage under 100 never rounds up to 100, so
`>= 100` means really 100 (and likewise a value above 0 never rounds down to 0).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal

from auditor.model import Condition, ConditionSpec, GateResult, Op, Status

PRECISION = {"percent": 2, "ms": 1, "count": 0}
PRECISION_TEXT = (
    "percentages are compared at 2 decimal places, milliseconds at 1, counts exactly; "
    "a value under 100% never rounds up to 100%"
)

EXIT_PASSED = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_ERROR = 3
EXIT_INTERRUPTED = 130

GRADES = ((90.0, "A"), (80.0, "B"), (70.0, "C"), (60.0, "D"))


def round_value(value: float, kind: str) -> float:
    """Round a measured value to the precision it is compared at."""
    places = PRECISION.get(kind, 2)
    quantum = Decimal(1).scaleb(-places)
    rounded = float(Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_UP))
    step = float(quantum)
    if kind == "percent" and value < 100 and rounded >= 100:
        return 100 - step
    if kind == "percent" and value > 0 and rounded <= 0:
        return step
    return rounded


def compare(value: float, op: Op, threshold: float) -> bool:
    """Whether `value op threshold` holds."""
    if op == "<":
        return value < threshold
    if op == "<=":
        return value <= threshold
    if op == ">=":
        return value >= threshold
    return value == threshold


def evaluate(
    spec: ConditionSpec, value: float | None, threshold: float, blocking: bool
) -> Condition:
    """Hold one measured value against its threshold; a missing value is skipped."""
    if value is None:
        return Condition(
            id=spec.id,
            title=spec.title,
            value=None,
            unit=spec.unit,
            op=spec.op,
            threshold=threshold,
            status="skipped",
            blocking=blocking,
        )
    shown = round_value(value, spec.kind)
    status: Status = "passed" if compare(shown, spec.op, threshold) else "failed"
    return Condition(
        id=spec.id,
        title=spec.title,
        value=shown,
        unit=spec.unit,
        op=spec.op,
        threshold=threshold,
        status=status,
        blocking=blocking,
    )


def gate_status(conditions: Sequence[Condition]) -> Status:
    """A gate fails when any blocking condition failed."""
    if any(c.status == "failed" and c.blocking for c in conditions):
        return "failed"
    return "passed"


def gate_score(conditions: Sequence[Condition]) -> float:
    """Share of measured conditions that passed, 0-100; blocking ones count twice."""
    weights = [(2 if c.blocking else 1, c.status == "passed") for c in conditions
               if c.status in ("passed", "failed")]
    total = sum(w for w, _ in weights)
    if total == 0:
        return 100.0
    return round(100 * sum(w for w, ok in weights if ok) / total, 1)


def overall_status(gates: Iterable[GateResult]) -> Status:
    """error if any gate could not measure (or none measured), failed if any failed."""
    statuses = [g.status for g in gates]
    if "error" in statuses or all(s == "skipped" for s in statuses):
        return "error"
    if "failed" in statuses:
        return "failed"
    return "passed"


def overall_score(gates: Iterable[GateResult]) -> float:
    """Mean score of the gates that ran; an errored gate scores 0."""
    scores = [g.score for g in gates if g.status != "skipped"]
    return round(sum(scores) / len(scores), 1) if scores else 0.0


def grade(score: float, status: Status) -> str:
    """A letter for the score; a run that did not pass is never graded above C, an error is F."""
    if status == "error":
        return "F"
    letter = next((g for floor, g in GRADES if score >= floor), "F")
    if status == "failed" and letter in ("A", "B"):
        return "C"
    return letter


def exit_code(status: Status) -> int:
    """The process exit code for an overall status (see DESIGN: 0, 1 or 3)."""
    return {"passed": EXIT_PASSED, "failed": EXIT_FAILED}.get(status, EXIT_ERROR)
