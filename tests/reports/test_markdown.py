"""scorecard.md: the PR-comment summary, and its copy into $GITHUB_STEP_SUMMARY."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.model import Condition, Details, GateResult, ToolRun
from reports.markdown import MarkdownRenderer
from reports.writer import write_reports
from tests.reports.support import card, with_gate

pytestmark = pytest.mark.unit


def _table_rows(markdown: str) -> list[list[str]]:
    rows = [line for line in markdown.splitlines() if line.startswith("| ")]
    return [[cell.strip() for cell in row.strip("|").split(" | ")] for row in rows[1:]]


def test_summary_has_verdict_and_a_row_per_condition() -> None:
    scorecard = card("full")
    out = MarkdownRenderer().render(scorecard)
    assert out.splitlines()[0] == (
        f"## ❌ Audit failed: grade {scorecard.grade}, score {scorecard.score:g}/100"
    )
    rows = _table_rows(out)
    titles = [row[1] for row in rows]
    assert titles == [c.title for g in scorecard.gates for c in g.conditions]
    line = next(row for row in rows if row[1] == "Line coverage")
    assert line[2:] == ["73.56% (6.44 points short)", "≥ 80%", "❌ failed"]


def test_errored_and_skipped_gates_give_their_reason() -> None:
    scorecard = card("partial")
    out = MarkdownRenderer().render(scorecard)
    for gate in scorecard.gates:
        if gate.status in ("error", "skipped"):
            assert f"**{gate.title}** {gate.status}: " in out
            assert (gate.reason or "").split("(")[0].strip() in out


def test_cells_cannot_break_the_table_or_inject_html() -> None:
    evil = Condition(
        id="c", title="a | b <img src=x onerror=alert(1)>\nnext", value=1.0, unit="",
        op="<=", threshold=0.0, status="failed", blocking=True,
    )
    gate = GateResult(
        id="x", title="X", status="failed", score=0.0, duration_s=0.1, reason=None,
        tool=ToolRun(name="x", version=""), conditions=[evil], findings=[], details=Details(),
    )
    out = MarkdownRenderer().render(with_gate(card("partial"), gate))
    row = next(line for line in out.splitlines() if line.startswith("| X |"))
    assert r"a \| b &lt;img src=x onerror=alert(1)&gt; next" in row
    assert "<img" not in out


def test_markdown_is_appended_to_the_step_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = tmp_path / "step_summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    scorecard = card("full")
    write_reports(scorecard, ["markdown"], tmp_path / "out")
    written = (tmp_path / "out" / "scorecard.md").read_text(encoding="utf-8")
    assert summary.read_text(encoding="utf-8") == "earlier step\n" + written
    # Other formats leave the summary alone.
    write_reports(scorecard, ["html"], tmp_path / "out")
    assert summary.read_text(encoding="utf-8") == "earlier step\n" + written


def test_unwritable_step_summary_does_not_stop_the_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "missing-dir" / "summary.md"))
    written = write_reports(card("full"), ["markdown"], tmp_path / "out")
    assert (tmp_path / "out" / "scorecard.md") in written
    assert "could not append the summary" in capsys.readouterr().err
