"""`audit report SCORECARD --format ... --out DIR`, end to end in a subprocess."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.helpers import load_scorecard, run_cli
from tests.reports.support import REPORT_FIXTURES, assert_gold, card_data

ALL = "html,junit,sarif,markdown,badge"
FILES = {
    "scorecard.html": "full.html",
    "junit.xml": "full.xml",
    "scorecard.sarif": "full.sarif",
    "scorecard.md": "full.md",
    "badge.svg": "full.svg",
}


def test_report_writes_every_format_from_a_saved_scorecard(tmp_path: Path) -> None:
    saved = tmp_path / "in" / "scorecard.json"
    saved.parent.mkdir()
    shutil.copy(REPORT_FIXTURES / "full.json", saved)
    summary = tmp_path / "summary.md"
    out = tmp_path / "out"
    result = run_cli("report", saved, "--format", ALL, "--out", out,
                     env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert result.code == 0, result.stderr
    # The report folder carries its own .gitignore, as tools' caches do.
    assert sorted(p.name for p in out.iterdir()) == sorted([".gitignore", "scorecard.json", *FILES])
    assert load_scorecard(out) == card_data("full")
    for written, gold in FILES.items():
        assert_gold((out / written).read_text(encoding="utf-8"), gold)
    assert summary.read_text(encoding="utf-8") == (out / "scorecard.md").read_text("utf-8")


def test_report_defaults_to_html_beside_the_scorecard(tmp_path: Path) -> None:
    saved = tmp_path / "scorecard.json"
    shutil.copy(REPORT_FIXTURES / "partial.json", saved)
    result = run_cli("report", saved, env={"GITHUB_STEP_SUMMARY": ""})
    assert result.code == 0, result.stderr
    assert (tmp_path / "scorecard.html").is_file()
    assert_gold((tmp_path / "scorecard.html").read_text(encoding="utf-8"), "partial.html")


def test_report_rejects_an_unknown_format(tmp_path: Path) -> None:
    saved = tmp_path / "scorecard.json"
    shutil.copy(REPORT_FIXTURES / "full.json", saved)
    result = run_cli("report", saved, "--format", "html,sarfi", "--out", tmp_path / "out")
    assert result.code == 2
    assert "did you mean `sarif`" in result.stderr
    assert not (tmp_path / "out").exists()
