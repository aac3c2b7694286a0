"""Fingerprints, finding states, ratchets, waiver validation and the baseline file, in-process."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

import msgspec
import pytest

from auditor import baseline, config, counting, fingerprints, scoring
from auditor.errors import ConfigError
from auditor.model import ConditionSpec, Details, Fact, Finding, GateResult, ToolRun
from auditor.newcode import NewCode, parse_diff
from auditor.waivers import Waiver

pytestmark = pytest.mark.unit

TODAY = dt.date(2026, 6, 1)

NO_TOOL = ToolRun(name="", version="")


def _finding(line: int | None, rule: str = "F821", path: str = "m.py", **extra: Fact) -> Finding:
    return Finding(path=path, line=line, rule=rule, severity="critical", message="msg",
                   extra=dict(extra))


def _prints(root: Path, source: str, lines: list[int]) -> list[str]:
    (root / "m.py").write_text(source, encoding="utf-8")
    found = fingerprints.assign("lint", [_finding(n) for n in lines],
                                fingerprints.SourceIndex(root))
    return [f.fingerprint for f in found]


def test_fingerprints_survive_line_moves_and_reindentation(tmp_path: Path) -> None:
    first = _prints(tmp_path, "def f():\n    return x\n", [2])
    moved = _prints(tmp_path, "\n" * 20 + "def f():\n    if True:\n        return   x\n", [23])
    assert first == moved
    renamed = _prints(tmp_path, "def g():\n    return x\n", [2])
    assert renamed != first  # another function is another place


def test_identical_lines_get_occurrence_indexes_in_line_order(tmp_path: Path) -> None:
    one = _prints(tmp_path, "def f():\n    return x\n", [2])
    two = _prints(tmp_path, "def f():\n    return x\n    return x\n", [3, 2])
    assert two[1] == one[0]  # the first occurrence keeps its fingerprint
    assert two[0] != one[0]


def test_a_dependency_fingerprint_is_package_and_advisory(tmp_path: Path) -> None:
    vuln = _finding(None, rule="PYSEC-1", path="", package="Requests")
    [found] = fingerprints.assign("security", [vuln], fingerprints.SourceIndex(tmp_path))
    assert found.fingerprint == fingerprints.dependency("security", "requests", "PYSEC-1")


def test_states_baseline_is_a_multiset_then_waivers_then_old() -> None:
    findings = [
        Finding("a.py", 1, "F1", "warning", "m", fingerprint="x"),
        Finding("a.py", 2, "F1", "warning", "m", fingerprint="x"),
        Finding("a.py", 3, "W9", "warning", "m", fingerprint="w"),
        Finding("a.py", 4, "E1", "warning", "m", fingerprint="o"),
        Finding("", None, "PYSEC-1", "critical", "m", fingerprint="v"),
    ]
    rules = counting.Rules(
        baseline=baseline.Baseline((baseline.Entry("lint", "a.py", "F1", "x", "m"),), {}),
        waivers=(Waiver("lint", "W9", "a.*", "why", "me", TODAY),),
        new_code=NewCode("main", "0" * 40, {"a.py": frozenset({2})}),
        today=TODAY,
    )
    states = [f.state for f in counting.judge("lint", findings, rules)]
    assert states == ["baselined", "new", "waived", "old", "new"]
    expired = counting.Rules(waivers=(Waiver("lint", "W9", None, "why", "me", TODAY),),
                             today=TODAY + dt.timedelta(days=1))
    assert counting.judge("lint", findings[2:3], expired)[0].state == "new"


SPEC = ConditionSpec("line_coverage", "Line", "%", ">=", 80, "percent", "help")


@pytest.mark.parametrize(
    ("value", "figure", "tolerance", "status", "ratchet"),
    [
        (70.0, 70.0, 0.0, "passed", 70.0),   # at the baseline figure
        (69.99, 70.0, 0.0, "failed", 70.0),  # below it
        (69.5, 70.0, 0.5, "passed", 69.5),   # within the tolerance
        (85.0, 90.0, 0.0, "passed", None),   # the threshold is lower than the figure
        (75.0, None, 0.0, "failed", None),   # no baseline figure
    ],
)
def test_a_baseline_figure_ratchets_a_ge_threshold(
    value: float, figure: float | None, tolerance: float, status: str, ratchet: float | None
) -> None:
    condition = scoring.evaluate(SPEC, value, 80, True, figure, tolerance)
    assert (condition.status, condition.ratchet, condition.baseline) == (status, ratchet, figure)


def _config(waiver: str) -> config.AuditConfig:
    return config.from_mapping(tomllib.loads(waiver), "pyproject.toml", "tool.audit", TODAY)


WAIVER = """
[[waivers]]
gate = "lint"
rule = "F821"
reason = "legacy"
owner = "team"
expires = 2026-07-01
"""


def test_waivers_are_validated() -> None:
    assert _config(WAIVER).waivers[0].expires == dt.date(2026, 7, 1)
    for broken, message in [
        (WAIVER.replace('reason = "legacy"\n', ""), "`reason`"),
        (WAIVER.replace('owner = "team"\n', ""), "`owner`"),
        (WAIVER.replace("2026-07-01", '"soon"'), "TOML date"),
        (WAIVER.replace("2026-07-01", "2027-07-01"), "`max_waiver_days` (180)"),
        (WAIVER.replace('"lint"', '"lnt"'), "not one of"),
        (WAIVER + "colour = 1\n", "`colour` is not a key"),
    ]:
        with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
            _config(broken)


def test_the_baseline_file_round_trips_sorted_one_entry_per_line() -> None:
    entries = (
        baseline.Entry("type", "b.py", "arg-type", "f2", "Argument 1"),
        baseline.Entry("lint", "a.py", "F401", "f1", "`os` imported but unused"),
    )
    text = baseline.render(baseline.Baseline(entries, {"type.type_coverage": 84.65}))
    lines = text.splitlines()
    assert lines[3].strip().startswith('"type.type_coverage"')
    assert '"lint"' in lines[6]
    assert '"type"' in lines[7]
    parsed = baseline.parse(text, "audit-baseline.json")
    assert sorted(parsed.entries) == sorted(entries)
    assert parsed.figures == {"type.type_coverage": 84.65}
    with pytest.raises(ConfigError, match="merge conflict"):
        baseline.parse(text.replace("{", "<<<<<<< HEAD\n{", 1), "audit-baseline.json")


def test_prune_removes_fixed_entries_and_raises_figures_only() -> None:
    kept = baseline.Entry("lint", "a.py", "F401", "keep", "m")
    fixed = baseline.Entry("lint", "a.py", "F841", "gone", "m")
    other = baseline.Entry("type", "a.py", "misc", "t", "m")  # its gate did not run
    old = baseline.Baseline((kept, fixed, other), {"coverage.line_coverage": 70.0})
    lint = GateResult("lint", "Lint", "passed", 100, 1, None, NO_TOOL, [], [
        Finding("a.py", 1, "F401", "warning", "m", fingerprint="keep", state="baselined"),
        Finding("a.py", 9, "E1", "warning", "m", fingerprint="brand-new"),
    ], Details())
    cov = GateResult("coverage", "Cov", "passed", 100, 1, None, NO_TOOL, [
        scoring.evaluate(SPEC, 75.0, 80, True, 70.0),
    ], [], Details())
    new = baseline.prune(old, [lint, cov], {"coverage.line_coverage"})
    assert new.entries == (kept, other)
    assert new.figures == {"coverage.line_coverage": 75.0}


def test_parse_diff_reads_added_lines_of_each_file() -> None:
    diff = (
        "diff --git a/a.py b/a.py\n--- a/a.py\n+++ b/a.py\n"
        "@@ -3,0 +4,2 @@ def f():\n+x\n+y\n@@ -10 +12 @@\n-old\n+new\n@@ -20,2 +22,0 @@\n-z\n-w\n"
        "diff --git a/gone.py b/gone.py\n--- a/gone.py\n+++ /dev/null\n@@ -1 +0,0 @@\n-q\n"
    )
    assert parse_diff(diff) == {"a.py": {4, 5, 12}}


def test_a_fresh_baseline_keeps_the_entries_of_gates_that_did_not_run() -> None:
    other = baseline.Entry("type", "a.py", "misc", "t", "m")
    stale = baseline.Entry("lint", "a.py", "F401", "old", "m")
    previous = baseline.Baseline((other, stale), {"type.type_coverage": 90.0})
    lint = GateResult("lint", "Lint", "failed", 0, 1, None, NO_TOOL, [], [
        Finding("a.py", 1, "F841", "warning", "m", fingerprint="now"),
        Finding("a.py", 2, "F821", "critical", "m", fingerprint="w", state="waived"),
    ], Details())
    fresh = baseline.capture([lint], set(), previous)
    assert sorted(e.fingerprint for e in fresh.entries) == ["now", "t"]
    assert fresh.figures == {"type.type_coverage": 90.0}


def test_a_waiver_expiring_within_two_weeks_is_flagged() -> None:
    waiver = Waiver("lint", "F1", None, "why", "me", TODAY + dt.timedelta(days=14))
    rules = counting.Rules(waivers=(waiver,), today=TODAY)
    found = counting.judge("lint", [Finding("a.py", 1, "F1", "warning", "m")], rules)
    lint = GateResult("lint", "Lint", "passed", 100, 1, None, NO_TOOL, [], found, Details())
    summary = counting.summarize(rules, [lint], Path())
    assert summary is not None
    assert [(w.status, w.matched) for w in summary.waivers or ()] == [("expiring", 1)]
    later = counting.Rules(waivers=(waiver,), today=TODAY - dt.timedelta(days=1))
    before = counting.summarize(later, [lint], Path())
    assert before is not None
    assert before.waivers is not None
    assert before.waivers[0].status == "active"


def test_failing_tests_and_vulnerabilities_are_never_baselined() -> None:
    failing = Finding("tests/test_a.py", None, "test-failed", "critical", "test_a failed",
                      fingerprint="t", baselinable=False)
    vulnerable = Finding("", None, "PYSEC-1", "critical", "req 1.0", fingerprint="v",
                         baselinable=False)
    style = Finding("a.py", 1, "F841", "warning", "m", fingerprint="s")
    coverage = GateResult("coverage", "Tests", "failed", 0, 1, None, NO_TOOL, [], [failing],
                        Details())
    security = GateResult("security", "Security", "failed", 0, 1, None, NO_TOOL, [], [vulnerable],
                        Details())
    lint = GateResult("lint", "Lint", "failed", 0, 1, None, NO_TOOL, [], [style],
                        Details())
    captured = baseline.capture([coverage, security, lint], set())
    assert [e.fingerprint for e in captured.entries] == ["s"]
    # Even a baseline written by hand (or by an older version) holds neither.
    by_hand = baseline.Baseline(
        (baseline.Entry("coverage", "tests/test_a.py", "test-failed", "t", "m"),
         baseline.Entry("security", "", "PYSEC-1", "v", "m")), {},
    )
    rules = counting.Rules(baseline=by_hand)
    assert counting.judge("coverage", [failing], rules)[0].state == "new"
    assert counting.judge("security", [vulnerable], rules)[0].state == "new"
    # A waiver (owner, reason, expiry) is the one way to accept a vulnerability.
    waived = counting.Rules(waivers=(Waiver("security", "PYSEC-1", None, "why", "me", TODAY),),
                            today=TODAY)
    assert counting.judge("security", [vulnerable], waived)[0].state == "waived"
    assert msgspec.convert(msgspec.to_builtins(vulnerable), Finding) == vulnerable
    assert msgspec.to_builtins(vulnerable)["baselinable"] is False
    assert msgspec.to_builtins(style)["baselinable"] is True
