"""What counts: each finding's state against the baseline, the waivers and the new-code change.

Precedence: a finding matching a baseline entry is `baselined` (one entry absorbs one finding;
a failing test or a vulnerable dependency is never baselined);
else one matching an unexpired waiver is `waived`; else, with `--new-code`, one on a line the
change did not touch is `old` (a finding without a line, such as a vulnerable dependency or a
failing test, is never old); else it is `new`, and only `new` findings count in conditions.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from msgspec.structs import replace

from auditor import baseline as baseline_mod
from auditor.model import Finding, FindingState, GateResult
from auditor.newcode import NewCode
from auditor.sections import (
    BaselineSummary,
    CountingSection,
    FixedEntry,
    NewCodeSummary,
    StateCounts,
    WaiverRow,
)
from auditor.waivers import Waiver

StaleMode = Literal["warn", "fail"]
STATES: tuple[FindingState, ...] = ("new", "baselined", "waived", "old")


@dataclass(frozen=True)
class Rules:
    """What the findings of one audit are held against."""

    baseline: baseline_mod.Baseline | None = None
    baseline_file: Path | None = None
    waivers: tuple[Waiver, ...] = ()
    new_code: NewCode | None = None
    today: dt.date = field(default_factory=dt.date.today)
    tolerance: float = 0.0
    stale: StaleMode = "warn"

    @property
    def active(self) -> bool:
        return self.baseline is not None or bool(self.waivers) or self.new_code is not None

    def figures(self, gate_id: str) -> dict[str, float]:
        return self.baseline.figures_for(gate_id) if self.baseline else {}


def judge(gate_id: str, findings: Sequence[Finding], rules: Rules) -> list[Finding]:
    """The findings (fingerprinted already) with their states."""
    left = Counter(e.fingerprint for e in rules.baseline.for_gate(gate_id)) if rules.baseline \
        else Counter[str]()
    waivers = [w for w in rules.waivers if w.gate == gate_id and not w.expired(rules.today)]
    out: list[Finding] = []
    for finding in findings:
        if finding.baselinable and left[finding.fingerprint] > 0:
            left[finding.fingerprint] -= 1
            out.append(replace(finding, state="baselined"))
            continue
        waiver = next((w for w in waivers if w.matches(gate_id, finding)), None)
        if waiver is not None:
            out.append(replace(finding, state="waived", justification=waiver.justification()))
        elif rules.new_code is not None and not rules.new_code.touched(finding.path, finding.line):
            out.append(replace(finding, state="old"))
        else:
            out.append(replace(finding, state="new"))
    return out


def new_findings(findings: Sequence[Finding]) -> list[Finding]:
    return [f for f in findings if f.state == "new"]


def _waiver_row(waiver: Waiver, gates: Sequence[GateResult], today: dt.date) -> WaiverRow:
    ran = [g for g in gates if g.id == waiver.gate and g.status in baseline_mod.MEASURED]
    matched = sum(waiver.matches(g.id, f) for g in ran for f in g.findings)
    status: str
    if not ran:
        status = "not checked"
    elif waiver.expired(today):
        status = "expired"
    elif matched == 0:
        status = "unused"
    elif waiver.expiring(today):
        status = "expiring"
    else:
        status = "active"
    return WaiverRow(
        gate=waiver.gate, rule=waiver.rule, path=waiver.path, reason=waiver.reason,
        owner=waiver.owner, expires=waiver.expires.isoformat(), status=status, matched=matched,
    )


def state_counts(gates: Sequence[GateResult]) -> dict[str, StateCounts]:
    """Findings by state, per gate that has findings."""
    return {
        g.id: StateCounts(**{state: sum(f.state == state for f in g.findings) for state in STATES})
        for g in gates
        if g.findings
    }


def _baseline_summary(
    rules: Rules, gates: Sequence[GateResult], root: Path
) -> BaselineSummary | None:
    if rules.baseline is None or rules.baseline_file is None:
        return None
    fixed = tuple(
        FixedEntry(fingerprint=e.fingerprint, gate=e.gate, rule=e.rule, path=e.path,
                   message=e.message)
        for g in gates
        if g.status in baseline_mod.MEASURED
        for e in baseline_mod.unmatched(rules.baseline, g)
    )
    try:
        shown = rules.baseline_file.relative_to(root).as_posix()
    except ValueError:
        shown = str(rules.baseline_file)
    return BaselineSummary(
        file=shown, entries=len(rules.baseline.entries), figures=dict(rules.baseline.figures),
        tolerance=rules.tolerance, stale=rules.stale, fixed=fixed,
    )


def summarize(rules: Rules, gates: Sequence[GateResult], root: Path) -> CountingSection | None:
    """The scorecard's `counting` section, or None when nothing but `new` applies."""
    if not rules.active:
        return None
    change = rules.new_code
    return CountingSection(
        states=state_counts(gates),
        baseline=_baseline_summary(rules, gates, root),
        waivers=tuple(_waiver_row(w, gates, rules.today) for w in rules.waivers) or None,
        new_code=NewCodeSummary(
            ref=change.ref, merge_base=change.merge_base, files=len(change.lines),
            lines=sum(len(v) for v in change.lines.values()),
        ) if change is not None else None,
    )


def stale_reason(counting: CountingSection | None) -> str | None:
    """Why the run fails under `stale_baseline = "fail"`, or None."""
    base = counting.baseline if counting is not None else None
    if base is None or base.stale != "fail" or not base.fixed:
        return None
    count = len(base.fixed)
    return (
        f"{count} baselined finding{'s are' if count != 1 else ' is'} fixed and "
        '`stale_baseline = "fail"`: `audit baseline --prune` locks that in'
    )
