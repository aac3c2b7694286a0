"""The scorecard's `counting` section and the stale-baseline verdict, field by field."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import msgspec
import pytest

from auditor import baseline, counting
from auditor.model import Details, Finding, GateResult, Status, ToolRun
from auditor.newcode import NewCode
from auditor.sections import BaselineSummary, CountingSection, FixedEntry
from auditor.waivers import Waiver

pytestmark = pytest.mark.unit

TODAY = dt.date(2026, 6, 1)
ROOT = Path("/repo")

NO_TOOL = ToolRun(name="", version="")


def _gate(gate_id: str, status: Status, *findings: Finding) -> GateResult:
    return GateResult(gate_id, gate_id, status, 0, 1, None, NO_TOOL, [], list(findings), Details())


def _found(rule: str, fingerprint: str, state: str = "new") -> Finding:
    return Finding("a.py", 1, rule, "warning", "m", fingerprint=fingerprint,
                   state=state)  # type: ignore[arg-type]


ENTRY_KEPT = baseline.Entry("lint", "a.py", "F401", "kept", "m")
ENTRY_FIXED = baseline.Entry("lint", "a.py", "F841", "fixed", "m")
ENTRY_OTHER = baseline.Entry("type", "a.py", "misc", "other", "m")
BASE = baseline.Baseline((ENTRY_KEPT, ENTRY_FIXED, ENTRY_OTHER), {"lint.x": 1.0})


def test_nothing_but_new_has_no_section() -> None:
    assert counting.summarize(counting.Rules(), [_gate("lint", "passed")], ROOT) is None


def test_the_baseline_part_names_the_file_entries_figures_and_what_is_fixed() -> None:
    rules = counting.Rules(baseline=BASE, baseline_file=ROOT / "audit-baseline.json",
                           tolerance=0.5, stale="fail", today=TODAY)
    gates = [_gate("lint", "failed", _found("F401", "kept", "baselined"), _found("E1", "n")),
             _gate("type", "error")]
    summary = counting.summarize(rules, gates, ROOT)
    assert json.loads(msgspec.json.encode(summary)) == {
        "states": {"lint": {"new": 1, "baselined": 1, "waived": 0, "old": 0}},
        "baseline": {
            "file": "audit-baseline.json", "entries": 3, "figures": {"lint.x": 1.0},
            "tolerance": 0.5, "stale": "fail", "fixed": [ENTRY_FIXED.to_dict()],
        },
    }
    assert counting.stale_reason(summary) == (
        '1 baselined finding is fixed and `stale_baseline = "fail"`: '
        "`audit baseline --prune` locks that in"
    )
    elsewhere = counting.summarize(
        counting.Rules(baseline=BASE, baseline_file=Path("/other/b.json")), gates, ROOT)
    assert elsewhere is not None
    assert elsewhere.baseline is not None
    assert elsewhere.baseline.file == "/other/b.json"


def test_a_baseline_without_its_file_has_no_baseline_part() -> None:
    summary = counting.summarize(counting.Rules(baseline=BASE), [_gate("lint", "passed")],
                                 ROOT)
    assert json.loads(msgspec.json.encode(summary)) == {"states": {}}


@pytest.mark.parametrize(("stale", "fixed", "reason"), [
    ("fail", 2, '2 baselined findings are fixed and `stale_baseline = "fail"`: '
                "`audit baseline --prune` locks that in"),
    ("warn", 2, None),
    ("fail", 0, None),
])
def test_stale_reason(stale: str, fixed: int, reason: str | None) -> None:
    entry = FixedEntry(fingerprint="f", gate="lint", rule="F1", path="a.py", message="m")
    section = CountingSection(states={}, baseline=BaselineSummary(
        file="b.json", entries=fixed, figures={}, tolerance=0.0, stale=stale,
        fixed=(entry,) * fixed,
    ))
    assert counting.stale_reason(section) == reason
    assert counting.stale_reason(None) is None
    assert counting.stale_reason(CountingSection(states={})) is None


@pytest.mark.parametrize(("expires", "gate_status", "findings", "status", "matched"), [
    (TODAY + dt.timedelta(days=60), "failed", 2, "active", 2),
    (TODAY + dt.timedelta(days=14), "passed", 1, "expiring", 1),
    (TODAY + dt.timedelta(days=60), "passed", 0, "unused", 0),
    (TODAY - dt.timedelta(days=1), "failed", 1, "expired", 1),
    (TODAY + dt.timedelta(days=60), "error", 1, "not checked", 1),
])
def test_each_waiver_gets_its_status(expires: dt.date, gate_status: Status, findings: int,
                                     status: str, matched: int) -> None:
    waiver = Waiver("lint", "F401", None, "why", "me", expires)
    rules = counting.Rules(waivers=(waiver,), today=TODAY)
    gates = [_gate("lint", gate_status, *[_found("F401", f"f{i}") for i in range(findings)]),
             _gate("type", "passed", _found("F401", "t"))]
    summary = counting.summarize(rules, gates, ROOT)
    assert summary is not None
    assert summary.waivers is not None
    row = summary.waivers[0]
    assert (row.status, row.matched) == (status, matched if status != "not checked" else 0)
    assert row.rule == "F401"


def test_the_new_code_part_and_the_states_of_each_gate() -> None:
    change = NewCode("main", "abc", {"a.py": frozenset({1, 2})})
    gates = [_gate("lint", "passed", _found("F1", "x", "old"), _found("F2", "y", "waived")),
             _gate("type", "passed")]
    summary = counting.summarize(counting.Rules(new_code=change), gates, ROOT)
    assert json.loads(msgspec.json.encode(summary)) == {
        "states": {"lint": {"new": 0, "baselined": 0, "waived": 1, "old": 1}},
        "new_code": {"ref": "main", "merge_base": "abc", "files": 1, "lines": 2},
    }


def test_only_new_findings_count_and_each_entry_absorbs_one() -> None:
    findings = [_found("F1", "x"), _found("F1", "x"), _found("F1", "x")]
    rules = counting.Rules(baseline=baseline.Baseline(
        (baseline.Entry("lint", "a.py", "F1", "x", "m"),) * 2, {}))
    judged = counting.judge("lint", findings, rules)
    assert [f.state for f in judged] == ["baselined", "baselined", "new"]
    assert counting.new_findings(judged) == [judged[2]]
    waived = counting.judge("lint", [_found("F2", "w")], counting.Rules(
        waivers=(Waiver("lint", "F2", None, "why", "me", TODAY),), today=TODAY))
    assert waived[0].justification == "why (waived by me until 2026-06-01)"
    assert counting.Rules(baseline=BASE).figures("lint") == {"x": 1.0}
    # A finding judged again (a cached result) starts over as new.
    again = counting.judge("lint", [_found("F9", "z", "baselined")], counting.Rules())
    assert again[0].state == "new"
    assert counting.Rules().figures("lint") == {}
