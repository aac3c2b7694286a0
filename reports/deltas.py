"""Each condition's change against the base run (the previous run on the base branch, or the
scorecard given with --compare), as the reports show it: `-0.6 vs main @ 3f2a1c4d5e`."""

from __future__ import annotations

from dataclasses import dataclass

from auditor.model import Condition, Scorecard
from reports import text


@dataclass(frozen=True)
class Delta:
    change: str
    """`+1.2`, `-14 ms`, `±0`, or `new` when the base run has no figure."""
    label: str
    """The base run: `main @ 3f2a1c4d5e`."""
    css: str
    """`better`, `worse` or `same`, judged by the condition's operator."""
    was: str | None
    """The base run's status when it differs from this one's."""

    @property
    def long(self) -> str:
        was = f", was {self.was}" if self.was else ""
        return f"{self.change} vs {self.label}{was}"

    @property
    def short(self) -> str:
        was = f", was {self.was}" if self.was else ""
        return f"{self.change}{was}"


def _change(value: float, before: float, unit: str) -> str:
    diff = round(value - before, 2)
    if diff == 0:
        return "±0"
    sign = "+" if diff > 0 else "-"
    amount = text.number(abs(diff))
    return f"{sign}{amount}" if unit in ("%", "") else f"{sign}{amount} {unit}"


def _direction(condition: Condition, diff: float) -> str:
    if diff == 0 or condition.op == "==":
        return "same"
    better = diff > 0 if condition.op == ">=" else diff < 0
    return "better" if better else "worse"


def deltas(card: Scorecard) -> dict[tuple[str, str], Delta]:
    """By (gate id, condition id), for every condition both runs measured or that is new."""
    section = card.history
    base = section.base if section else None
    if base is None:
        return {}
    out: dict[tuple[str, str], Delta] = {}
    for gate in card.gates:
        for condition in gate.conditions:
            if condition.value is None:
                continue
            before = base.figures.get(f"{gate.id}.{condition.id}")
            was = before.status if before and before.status != condition.status else None
            if before is None or before.value is None:
                out[(gate.id, condition.id)] = Delta("new", base.label, "same", was)
                continue
            diff = round(condition.value - before.value, 2)
            out[(gate.id, condition.id)] = Delta(
                _change(condition.value, before.value, condition.unit), base.label,
                _direction(condition, diff), was,
            )
    return out


@dataclass(frozen=True)
class Change:
    gate: str
    title: str
    value: str
    delta: Delta


@dataclass(frozen=True)
class Lead:
    """What a pull-request summary opens with: the base run and the figures that moved."""

    base: str
    changed: list[Change]
    unchanged: int


def lead(card: Scorecard) -> Lead | None:
    section = card.history
    if section is None or section.base is None:
        return None
    changes = deltas(card)
    changed: list[Change] = []
    for gate in card.gates:
        for condition in gate.conditions:
            delta = changes.get((gate.id, condition.id))
            if delta is not None and (delta.change != "±0" or delta.was):
                changed.append(Change(
                    gate.title or gate.id, condition.title,
                    text.with_unit(condition.value, condition.unit), delta,
                ))
    return Lead(section.base.label, changed, len(changes) - len(changed))
