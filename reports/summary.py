"""What every human-facing report shows first: the verdict, the conditions, what needs attention."""

from __future__ import annotations

from dataclasses import dataclass

from auditor.model import Condition, GateResult, Scorecard
from reports import access, hints, text
from reports.viewkit import tool_warnings


@dataclass(frozen=True)
class Headline:
    """The top of a report: who was audited, when, and the verdict."""

    status: str
    score: str
    grade: str
    name: str
    path: str
    commit: str | None
    commit_full: str | None
    branch: str | None
    dirty: bool
    started: str
    duration: str
    auditor_version: str
    reason: str | None
    counts: dict[str, int]
    """Conditions by status (failed but not blocking counted apart), and gates in error."""


@dataclass(frozen=True)
class ConditionRow:
    """One condition as a scorecard row."""

    gate_id: str
    id: str
    title: str
    target: str
    value: str
    gap: str | None
    status: str
    blocking: bool
    reason: str | None = None
    """Why it was skipped or not measured, when that differs from the gate's own reason."""

    @property
    def advisory(self) -> bool:
        """Failed, but configured not to fail the run."""
        return self.status == "failed" and not self.blocking


@dataclass(frozen=True)
class GateRows:
    """A gate with its condition rows; an errored or skipped gate carries its reason."""

    id: str
    title: str
    status: str
    score: str
    tool: str
    duration: str
    reason: str | None
    rows: list[ConditionRow]
    findings: int
    warnings: list[str]
    """What the gate's tools warned about while they still measured."""


@dataclass(frozen=True)
class Attention:
    """Something that needs a reader's action: a failed condition or a gate that did not measure."""

    kind: str
    """`failed`, `advisory` or `error`."""
    gate_id: str
    gate_title: str
    title: str
    value: str
    target: str
    gap: str | None
    where: list[str]
    """Where to look, most important first."""


def headline(card: Scorecard) -> Headline:
    git = access.mapping(card.target.get("git"))
    commit = access.text(git.get("commit")) or None
    rows = [row for gate in card.gates for row in condition_rows(gate)]
    counts = {
        "passed": sum(r.status == "passed" for r in rows),
        "failed": sum(r.status == "failed" and r.blocking for r in rows),
        "non-blocking": sum(r.advisory for r in rows),
        "not measured": sum(r.status in ("skipped", "error") for r in rows),
    }
    inconclusive = sum(r.status == "inconclusive" for r in rows)
    if inconclusive:
        counts["inconclusive"] = inconclusive
    errors = sum(g.status == "error" for g in card.gates)
    if errors:
        counts["gate errors"] = errors
    return Headline(
        status=card.status,
        score=text.number(card.score),
        grade=card.grade,
        name=access.text(card.target.get("name")) or access.text(card.target.get("path")),
        path=access.text(card.target.get("path")),
        commit=text.short_commit(commit),
        commit_full=commit,
        branch=access.text(git.get("branch")) or None,
        dirty=git.get("dirty") is True,
        started=text.timestamp(card.started_at),
        duration=text.duration(card.duration_s),
        auditor_version=card.auditor_version,
        reason=card.reason,
        counts=counts,
    )


def _row(gate: GateResult, condition: Condition) -> ConditionRow:
    reason = condition.reason if condition.reason != gate.reason else None
    return ConditionRow(
        gate_id=gate.id,
        id=condition.id,
        title=condition.title,
        target=text.target(condition),
        value=text.with_unit(condition.value, condition.unit),
        gap=text.gap(condition),
        status=condition.status,
        blocking=condition.blocking,
        reason=reason,
    )


def condition_rows(gate: GateResult) -> list[ConditionRow]:
    return [_row(gate, c) for c in gate.conditions]



def gate_rows(card: Scorecard) -> list[GateRows]:
    out: list[GateRows] = []
    for gate in card.gates:
        tool = " ".join(
            part for part in (gate.tool.get("name", ""), gate.tool.get("version", "")) if part
        )
        out.append(
            GateRows(
                id=gate.id,
                title=gate.title or gate.id,
                status=gate.status,
                score=text.number(gate.score),
                tool=tool,
                duration=text.duration(gate.duration_s),
                reason=gate.reason,
                rows=condition_rows(gate),
                findings=len(gate.findings),
                warnings=tool_warnings(gate),
            )
        )
    return out


def attention(card: Scorecard, where_limit: int = 3) -> list[Attention]:
    """Errored gates first, then blocking failures, then advisory ones, in gate order."""
    errors: list[Attention] = []
    failures: list[Attention] = []
    advisories: list[Attention] = []
    for gate in card.gates:
        title = gate.title or gate.id
        if gate.status == "error":
            errors.append(Attention(
                kind="error", gate_id=gate.id, gate_title=title, title="could not measure",
                value="", target="", gap=None, where=[gate.reason or "no reason given"],
            ))
        # An errored gate keeps what it did measure: its failed conditions need attention too.
        for condition in gate.conditions:
            if condition.status not in ("failed", "inconclusive"):
                continue
            where = hints.where_to_look(gate, condition.id)[:where_limit]
            if condition.status == "inconclusive" and condition.reason:
                where = [condition.reason, *where][:where_limit]
            item = Attention(
                kind="failed" if condition.blocking else "advisory",
                gate_id=gate.id,
                gate_title=title,
                title=condition.title,
                value=text.with_unit(condition.value, condition.unit),
                target=text.target(condition),
                gap=text.gap(condition),
                where=where,
            )
            (failures if condition.blocking else advisories).append(item)
    return [*errors, *failures, *advisories]
