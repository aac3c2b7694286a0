"""Pure scoring: conditions against thresholds, gate and overall scores, grade, exit code.

Precision: percentages are compared at two decimal places and milliseconds at one, after
rounding the measured value half-up; a percentage under 100 never rounds up to 100, so
`>= 100` means really 100 (and likewise a value above 0 never rounds down to 0).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from msgspec.structs import replace

from auditor.model import (
    Condition,
    ConditionSpec,
    GateResult,
    Measurement,
    Op,
    Population,
    Status,
    ToolRun,
)

if TYPE_CHECKING:
    from auditor.plugin import Gate, GateConfig

PRECISION = {"percent": 2, "ms": 1, "count": 0}
PRECISION_TEXT = (
    "percentages are compared at 2 decimal places, milliseconds at 1, counts exactly; "
    "a value under 100% never rounds up to 100%, and a time under 0.05 ms keeps its first two "
    "significant digits instead of reading 0"
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
    if kind == "ms" and value > 0 and rounded <= 0:
        return float(f"{value:.2g}")  # 0.025 ms is shown and compared as measured, not as 0
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


NO_REASON = (
    "the gate measured no value for this condition and gave no reason; "
    "a declared condition cannot silently vanish"
)


def unscored(
    spec: ConditionSpec, threshold: float, blocking: bool, status: Status, reason: str
) -> Condition:
    """A declared condition that has no value: skipped or error, always with its reason."""
    return Condition(
        id=spec.id,
        title=spec.title,
        value=None,
        unit=spec.unit,
        op=spec.op,
        threshold=threshold,
        status=status,
        blocking=blocking,
        reason=reason,
    )


def ratchet(
    spec: ConditionSpec, threshold: float, figure: float | None, tolerance: float
) -> float | None:
    """The effective threshold of a `>=` condition held to a baseline figure, when that is
    lower than its threshold (the figure minus the tolerance); None when the threshold holds."""
    if figure is None or spec.op != ">=" or not spec.ratchets:
        return None
    lowered = round_value(max(0.0, figure - tolerance), spec.kind)
    return lowered if lowered < threshold else None


def evaluate(
    spec: ConditionSpec,
    value: float | None,
    threshold: float,
    blocking: bool,
    figure: float | None = None,
    tolerance: float = 0.0,
) -> Condition:
    """Hold one measured value against its threshold, or against the lower effective threshold
    its baseline FIGURE sets; a missing value is an error."""
    if value is None:
        return unscored(spec, threshold, blocking, "error", NO_REASON)
    shown = round_value(value, spec.kind)
    effective = ratchet(spec, threshold, figure, tolerance)
    limit = threshold if effective is None else effective
    status: Status = "passed" if compare(shown, spec.op, limit) else "failed"
    return Condition(
        id=spec.id,
        title=spec.title,
        value=shown,
        unit=spec.unit,
        op=spec.op,
        threshold=threshold,
        status=status,
        blocking=blocking,
        baseline=figure if spec.op == ">=" and spec.ratchets else None,
        ratchet=effective,
    )


def judged_over(spec: ConditionSpec, measurement: Measurement
                ) -> tuple[Population | None, str | None]:
    """The population SPEC's value was judged over, and why it cannot be scored (missing,
    empty, or smaller than what the gate was given); (None, None) for a condition that
    declares none. The one place the population rule lives."""
    if not spec.population:
        return None, None
    population = measurement.populations.get(spec.population)
    if population is None:
        return None, (f"the gate reported no population `{spec.population}` to judge "
                      f"`{spec.id}` over; a figure over an unknown population cannot pass")
    return population, population.shortfall()


def score_conditions(
    specs: Sequence[ConditionSpec],
    thresholds: Mapping[str, float],
    blocking: Mapping[str, bool],
    measurement: Measurement,
    figures: Mapping[str, float] | None = None,
    tolerance: float = 0.0,
) -> tuple[list[Condition], list[str]]:
    """Every declared condition, scored or with its reason, plus the problems that make the
    measurement untrustworthy (ids that match no declared condition)."""
    conditions: list[Condition] = []
    for spec in specs:
        limit, blocks = thresholds[spec.id], blocking[spec.id]
        value = measurement.values.get(spec.id)
        population, shortfall = judged_over(spec, measurement)
        if value is not None and shortfall is not None:
            conditions.append(replace(unscored(spec, limit, blocks, "error", shortfall),
                                      population=population))
        elif value is not None:
            figure = (figures or {}).get(spec.id)
            scored = replace(evaluate(spec, value, limit, blocks, figure, tolerance),
                             population=population)
            if scored.status == "passed" and spec.id in measurement.inconclusive:
                scored = replace(scored, status="inconclusive",
                                 reason=measurement.inconclusive[spec.id])
            conditions.append(scored)
        elif spec.id in measurement.unmeasured:
            reason = measurement.unmeasured[spec.id]
            conditions.append(unscored(spec, limit, blocks, "error", reason))
        elif spec.id in measurement.skipped:
            reason = measurement.skipped[spec.id]
            conditions.append(unscored(spec, limit, blocks, "skipped", reason))
        else:
            conditions.append(unscored(spec, limit, blocks, "error", NO_REASON))
    declared = {spec.id for spec in specs}
    reported = [*measurement.values, *measurement.skipped, *measurement.unmeasured]
    problems = [
        f"the gate reported `{cid}`, which is not one of its conditions "
        f"({', '.join(sorted(declared))})"
        for cid in dict.fromkeys(reported)
        if cid not in declared
    ]
    return conditions, problems


def score_measurement(
    gate: Gate,
    config: GateConfig,
    measurement: Measurement,
    duration_s: float,
    figures: Mapping[str, float] | None = None,
    tolerance: float = 0.0,
) -> GateResult:
    """Turn a gate's measurement into scored conditions and the gate's result; FIGURES are the
    baseline's figures of its `>=` conditions (a ratchet, less TOLERANCE).

    The gate is an error when any condition is (unmeasured, or missing without a reason) or when
    it reported a value that matches no condition; the conditions it did measure are kept.
    """
    conditions, problems = score_conditions(
        gate.conditions, config.thresholds, config.blocking, measurement, figures, tolerance
    )
    errors = [
        f"`{c.id}`: {c.reason}" if c.reason == NO_REASON else str(c.reason)
        for c in conditions
        if c.status == "error"
    ]
    measured = any(c.status in ("passed", "failed", "inconclusive") for c in conditions)
    if not measured and not errors and not problems:
        problems.append("the tool ran but measured nothing")
    reasons = problems + errors
    details = measurement.details
    if measurement.warnings:
        details = replace(details, warnings=(*details.warnings, *measurement.warnings))
    if measurement.log_tail:
        details = replace(details, log_tail=measurement.log_tail)
    return GateResult(
        id=gate.id,
        title=gate.title,
        status="error" if reasons else gate_status(conditions),
        score=0.0 if reasons else gate_score(conditions),
        duration_s=round(duration_s, 3),
        reason="; ".join(dict.fromkeys(reasons)) if reasons else None,
        tool=ToolRun(name=measurement.tool_name or gate.tool, version=measurement.tool_version),
        conditions=conditions,
        findings=measurement.findings,
        details=details,
    )


def gate_status(conditions: Sequence[Condition]) -> Status:
    """A gate fails when any blocking condition failed or is inconclusive."""
    if any(c.status in ("failed", "inconclusive") and c.blocking for c in conditions):
        return "failed"
    return "passed"


def gate_score(conditions: Sequence[Condition]) -> float:
    """Share of measured conditions that passed, 0-100; blocking ones count twice."""
    weights = [(2 if c.blocking else 1, c.status == "passed") for c in conditions
               if c.status in ("passed", "failed", "inconclusive")]
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
