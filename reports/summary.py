"""What every human-facing report shows first: the verdict, the conditions, what needs attention."""

from __future__ import annotations

from dataclasses import dataclass

from auditor import sections
from auditor.history.section import git_of
from auditor.model import Condition, GateResult, Scorecard
from auditor.sections import FixedEntry, NewCodeSummary
from reports import hints, text
from reports.deltas import Delta, deltas
from reports.viewkit import exclusion_note, tool_text, tool_warnings, tools_used


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
    left: list[str]
    """What the audit left in the target's tree, one line each (it should leave nothing)."""


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
    delta: Delta | None = None
    """Its change against the base run, when the scorecard has one."""
    population: str | None = None
    """What it was judged over (`12 tests executed`), when its gate reports that."""

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
    tools: list[str]
    """Each tool with its version and where it came from, when the scorecard says."""
    excluded: str | None
    """What `[tool.audit] exclude` left out of the gate."""


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
    git = git_of(card)
    commit = git.commit or None
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
        name=card.target.name or card.target.path,
        path=card.target.path,
        commit=text.short_commit(commit),
        commit_full=commit,
        branch=git.branch or None,
        dirty=git.dirty is True,
        started=text.timestamp(card.started_at),
        duration=text.duration(card.duration_s),
        auditor_version=card.auditor_version,
        reason=card.reason,
        counts=counts,
        left=left_in_target(card),
    )


def left_in_target(card: Scorecard) -> list[str]:
    """The files the audit left in the target, each with the gates that were running."""
    return [text.clean(left.describe()) for left in card.left_in_target or []]


def _row(gate: GateResult, condition: Condition, delta: Delta | None = None) -> ConditionRow:
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
        delta=delta,
        population=f"over {condition.population}" if condition.population else None,
    )


def condition_rows(
    gate: GateResult, changes: dict[tuple[str, str], Delta] | None = None
) -> list[ConditionRow]:
    return [_row(gate, c, (changes or {}).get((gate.id, c.id))) for c in gate.conditions]



def gate_rows(card: Scorecard) -> list[GateRows]:
    out: list[GateRows] = []
    changes = deltas(card)
    for gate in card.gates:
        out.append(
            GateRows(
                id=gate.id,
                title=gate.title or gate.id,
                status=gate.status,
                score=text.number(gate.score),
                tool=tool_text(gate),
                duration=text.gate_duration(gate),
                reason=gate.reason,
                rows=condition_rows(gate, changes),
                findings=len(gate.findings),
                warnings=tool_warnings(gate),
                tools=tools_used(gate),
                excluded=exclusion_note(gate),
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


@dataclass(frozen=True)
class GateCounts:
    """How many of a gate's findings count, and how many are baselined, waived or old."""

    id: str
    title: str
    new: int
    baselined: int
    waived: int
    old: int


@dataclass(frozen=True)
class WaiverRow:
    label: str
    status: str
    """`active`, `expiring`, `expired`, `unused` or `not checked`."""
    owner: str
    expires: str
    reason: str
    matched: int


@dataclass(frozen=True)
class Held:
    """What the findings and figures were held against: baseline, waivers, new code."""

    line: str
    """The one-line summary the terminal prints."""
    gates: list[GateCounts]
    ratchets: list[str]
    """Conditions whose threshold a baseline figure lowered, with both numbers."""
    baseline_file: str | None
    fixed: list[str]
    """Baseline entries no finding matched any more: `gate rule path: message`."""
    waivers: list[WaiverRow]
    new_code: str | None
    """`the change since REF (merge base abc1234): N lines in M files`."""
    new_findings: list[str]
    """The findings that count, `gate path:line [rule] message`, at most NEW_LIMIT."""
    more_new: int


NEW_LIMIT = 20


def _fixed_text(entry: FixedEntry) -> str:
    return f"{entry.gate} {entry.rule} {entry.path or '(dependency)'}: {entry.message}"


def _waiver_row(w: sections.WaiverRow) -> WaiverRow:
    return WaiverRow(
        label=f"{w.gate} {w.rule}" + (f" in {w.path}" if w.path else ""),
        status=w.status, owner=w.owner, expires=w.expires, reason=w.reason, matched=w.matched,
    )


def _new_code_text(change: NewCodeSummary | None) -> str | None:
    if change is None:
        return None
    return (
        f"the change since {change.ref} (merge base {text.short_commit(change.merge_base)}): "
        f"{text.plural(change.lines, 'changed line')} in {text.plural(change.files, 'file')}"
    )


def held(card: Scorecard) -> Held | None:
    """The counting section of a report, or None when no baseline, waiver or change applied."""
    counting = card.counting
    if counting is None:
        return None
    titles = {g.id: g.title or g.id for g in card.gates}
    gates = [
        GateCounts(id=gid, title=titles.get(gid, gid), new=c.new, baselined=c.baselined,
                   waived=c.waived, old=c.old)
        for gid, c in counting.states.items()
    ]
    ratchets = [
        f"{g.title or g.id}, {c.title}: {text.target(c)}"
        for g in card.gates
        for c in g.conditions
        if c.ratchet is not None
    ]
    base = counting.baseline
    fixed = [_fixed_text(e) for e in base.fixed] if base is not None else []
    waivers = [_waiver_row(w) for w in counting.waivers or ()]
    new_code = _new_code_text(counting.new_code)
    file = base.file if base is not None else None
    counted = [
        f"{g.id} {f.path or '(dependency)'}{f':{f.line}' if f.line else ''} [{f.rule}] "
        + text.shorten(text.clean(f.message), 100)
        for g in card.gates
        for f in g.findings
        if f.state == "new"
    ]
    return Held(
        line=_held_line(gates, file, fixed, waivers, new_code),
        gates=gates,
        ratchets=ratchets,
        baseline_file=file,
        fixed=fixed,
        waivers=waivers,
        new_code=new_code,
        new_findings=counted[:NEW_LIMIT],
        more_new=max(0, len(counted) - NEW_LIMIT),
    )


def _held_line(
    gates: list[GateCounts], file: str | None, fixed: list[str], waivers: list[WaiverRow],
    new_code: str | None,
) -> str:
    against = [part for part in (file, new_code) if part]
    total = {s: sum(getattr(g, s) for g in gates) for s in ("new", "baselined", "waived", "old")}
    parts = [f"{number_text(total['new'])} new finding{'s' if total['new'] != 1 else ''} count"]
    parts += [f"{number_text(total[s])} {s}" for s in ("baselined", "waived", "old") if total[s]]
    line = f"Held against {' and '.join(against) or 'waivers'}: " + ", ".join(parts) + "."
    if fixed:
        line += (
            f" {len(fixed)} baselined finding{'s are' if len(fixed) != 1 else ' is'} fixed: "
            "`audit baseline --prune` locks that in."
        )
    flagged = [w for w in waivers if w.status in ("expired", "expiring", "unused")]
    for w in flagged:
        if w.status == "expired":
            line += f" Waiver {w.label} expired on {w.expires}, owner {w.owner}."
        elif w.status == "expiring":
            line += f" Waiver {w.label} expires on {w.expires}, owner {w.owner}."
        else:
            line += f" Waiver {w.label} is unused."
    return line


def number_text(value: int) -> str:
    return f"{value:,}"


def held_line(card: Scorecard) -> str | None:
    """One line for the terminal: what was held against the baseline, waivers and change."""
    found = held(card)
    return found.line if found else None
