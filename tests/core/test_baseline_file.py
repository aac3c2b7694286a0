"""audit-baseline.json word for word: its text, its errors, capture, prune and ratchets."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor import baseline
from auditor.errors import ConfigError
from auditor.model import Condition, Details, Finding, GateResult, Status, ToolRun

pytestmark = pytest.mark.unit

WHERE = "audit-baseline.json"

NO_TOOL = ToolRun(name="", version="")


def _gate(gate_id: str, status: Status, findings: list[Finding],
          conditions: list[Condition] | None = None) -> GateResult:
    return GateResult(gate_id, gate_id, status, 0, 1, None, NO_TOOL, conditions or [], findings,
                      Details())


def _found(rule: str, fingerprint: str, message: str = "m", path: str = "a.py") -> Finding:
    return Finding(path, 1, rule, "warning", message, fingerprint=fingerprint)


def _figure(cid: str, value: float | None) -> Condition:
    return Condition(cid, cid, value, "%", ">=", 80, "passed", True)


def test_the_file_text_is_exact() -> None:
    base = baseline.Baseline(
        (baseline.Entry("lint", "ü.py", "F401", "fp", "unused »os«"),),
        {"coverage.line_coverage": 81.5, "coverage.branch_coverage": 70.0},
    )
    assert baseline.render(base) == (
        "{\n"
        '  "version": 1,\n'
        '  "figures": {\n'
        '    "coverage.branch_coverage": 70.0,\n'
        '    "coverage.line_coverage": 81.5\n'
        "  },\n"
        '  "findings": [\n'
        '    {"fingerprint": "fp", "gate": "lint", "rule": "F401", "path": "ü.py", '
        '"message": "unused »os«"}\n'
        "  ]\n"
        "}\n"
    )
    assert baseline.render(baseline.Baseline((), {})) == (
        '{\n  "version": 1,\n  "figures": {},\n  "findings": []\n}\n'
    )
    assert baseline.parse(baseline.render(base), WHERE) == base


def test_messages_are_normalised_and_cut_at_120_characters() -> None:
    exact = baseline.Entry.of("lint", _found("E1", "fp", "a  b\n" + "x" * 116))
    assert (exact.gate, exact.path, exact.rule, exact.fingerprint) == ("lint", "a.py", "E1", "fp")
    assert exact.message == "a b " + "x" * 116  # 120 characters: kept whole
    cut = baseline.Entry.of("lint", _found("E1", "fp", "y" * 121))
    assert cut.message == "y" * 119 + "…"
    assert len(cut.message) == 120


@pytest.mark.parametrize(("text", "message"), [
    ("{", f"{WHERE} is not valid JSON (Expecting property name enclosed in double quotes: "
          "line 1 column 2 (char 1)); resolve the merge conflict or write it again with "
          "`audit baseline`"),
    ("[]", f"{WHERE} is not an audit baseline of version 1; write it again with "
           "`audit baseline`"),
    ('{"version": 2}', f"{WHERE} is not an audit baseline of version 1; write it again with "
                       "`audit baseline`"),
    ('{"version": 1, "figures": {"a.b": true}}',
     f"`figures` in {WHERE} must map `gate.condition` to numbers"),
    ('{"version": 1, "figures": []}', f"`figures` in {WHERE} must map `gate.condition` to numbers"),
    ('{"version": 1, "findings": {}}', f"`findings` in {WHERE} must be a list"),
    ('{"version": 1, "findings": [{"gate": "lint"}]}',
     f"{WHERE} has an entry without the strings fingerprint, gate, rule, path, message; "
     "write it again with `audit baseline`"),
    ('{"version": 1, "findings": ["x"]}',
     f"{WHERE} has an entry without the strings fingerprint, gate, rule, path, message; "
     "write it again with `audit baseline`"),
])
def test_every_broken_file_is_named_word_for_word(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        baseline.parse(text, WHERE)
    assert str(raised.value) == message


def test_missing_parts_default_to_empty_and_integers_are_figures() -> None:
    assert baseline.parse('{"version": 1}', WHERE) == baseline.Baseline((), {})
    assert baseline.parse('{"version": 1, "figures": {"a.b": 3}}', WHERE).figures == {"a.b": 3.0}


def test_loading_reads_utf8_and_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / WHERE
    assert baseline.read(path) is None
    base = baseline.Baseline((baseline.Entry("lint", "a.py", "F1", "fp", "naïve"),), {})
    path.write_text(baseline.render(base), encoding="utf-8")
    assert baseline.read(path) == base
    path.write_text("{", encoding="utf-8")
    with pytest.raises(ConfigError, match=str(path).replace("\\", "\\\\")):
        baseline.read(path)
    path.write_bytes(b"\xff\xfe")
    with pytest.raises(ConfigError, match="cannot be read"):
        baseline.read(path)


def test_capture_keeps_other_gates_and_their_figures() -> None:
    previous = baseline.Baseline(
        (baseline.Entry("type", "a.py", "misc", "t", "m"),
         baseline.Entry("lint", "a.py", "F1", "old", "m")),
        {"type.type_coverage": 90.0, "lint.x": 1.0, "coverage.line_coverage": 70.0},
    )
    gates = [
        _gate("lint", "failed", [_found("F2", "now")]),
        _gate("coverage", "passed", [], [_figure("line_coverage", 85.0),
                                         _figure("branch_coverage", None)]),
    ]
    captured = baseline.capture(gates, {"coverage.line_coverage", "coverage.branch_coverage"},
                                previous)
    assert sorted(e.fingerprint for e in captured.entries) == ["now", "t"]
    assert next(e for e in captured.entries if e.fingerprint == "now").gate == "lint"
    assert captured.figures == {"type.type_coverage": 90.0, "coverage.line_coverage": 85.0}


def test_prune_removes_each_fixed_entry_once_and_raises_improved_figures() -> None:
    entry = baseline.Entry("lint", "a.py", "F1", "dup", "m")
    base = baseline.Baseline((entry, entry, entry), {"coverage.line_coverage": 70.0,
                                                     "coverage.branch_coverage": 60.0})
    lint = _gate("lint", "failed", [_found("F1", "dup"), _found("F1", "dup")])
    lint = GateResult(lint.id, lint.title, lint.status, 0, 1, None, NO_TOOL, [],
                      [Finding(f.path, f.line, f.rule, f.severity, f.message,
                               fingerprint=f.fingerprint, state="baselined")
                       for f in lint.findings], Details())
    assert baseline.unmatched(base, lint) == [entry]
    coverage = _gate("coverage", "passed", [], [_figure("line_coverage", 75.0),
                                                 _figure("branch_coverage", 50.0)])
    pruned = baseline.prune(base, [lint, coverage],
                            {"coverage.line_coverage", "coverage.branch_coverage"})
    assert pruned.entries == (entry, entry)
    assert pruned.figures == {"coverage.line_coverage": 75.0, "coverage.branch_coverage": 60.0}
    once = GateResult("lint", "lint", "failed", 0, 1, None, NO_TOOL, [], [lint.findings[0]],
                      Details())
    assert baseline.prune(base, [once], set()).entries == (entry,)  # two fixed, both removed
    errored = _gate("lint", "error", [])
    assert baseline.prune(base, [errored], set()).entries == base.entries


def test_figures_for_a_gate_strip_its_prefix_only() -> None:
    base = baseline.Baseline((), {"type.type_coverage": 90.0, "typed.x": 1.0})
    assert base.figures_for("type") == {"type_coverage": 90.0}
    assert base.for_gate("type") == []
