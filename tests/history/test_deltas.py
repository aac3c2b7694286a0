"""Deltas against the base run, and where a store is and how it is shown."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest
from msgspec.structs import replace

from auditor.history import location, recorder
from auditor.history.section import base_run, trend_run
from auditor.history.setup import MetricSettings
from auditor.history.store import Store
from auditor.model import Scorecard
from auditor.sections import HistorySection
from reports.deltas import deltas, lead
from reports.html import HtmlRenderer
from reports.markdown import MarkdownRenderer
from reports.trend import chart, trend
from tests.helpers import audit, condition, write_project
from tests.history.cards import card
from tests.reports.support import chromium, dump_dom, screenshot


def _with_base(
    current_coverage: float, base_coverage: float, base_tests_failed: float = 0
) -> tuple[Scorecard, Scorecard]:
    base = card(datetime(2026, 3, 1, 9), line_coverage=base_coverage,
                tests_failed=base_tests_failed)
    now = card(datetime(2026, 3, 2, 9), line_coverage=current_coverage, commit="9" * 12)
    section = HistorySection(
        store="h.sqlite", target="t", branch="feature", base_branch="main", main_branch="main",
        recorded=True, warnings=(), base=base_run(base, "history", "main"),
        trend=(trend_run(now),), metrics=None,
    )
    return base, replace(now, history=section)


@pytest.mark.unit
def test_each_condition_shows_its_change_against_the_base_run() -> None:
    _, now = _with_base(81.2, 81.8, base_tests_failed=2)
    found = deltas(now)
    coverage = found[("coverage", "line_coverage")]
    assert coverage.long == "-0.6 vs main @ 3f2a1c4d5e"
    assert coverage.css == "worse"
    tests = found[("coverage", "tests_failed")]
    assert (tests.long, tests.css) == ("-2 vs main @ 3f2a1c4d5e, was failed", "better")
    assert found[("lint", "critical_errors")].change == "±0"


@pytest.mark.unit
def test_the_markdown_summary_leads_with_the_deltas() -> None:
    _, now = _with_base(81.2, 81.8)
    summary = lead(now)
    assert summary is not None
    assert [(c.title, c.delta.short) for c in summary.changed] == [("Line coverage", "-0.6")]
    text = MarkdownRenderer().render(now)
    head, table = text.split("| Gate |", 1)
    assert "**Changes since main @ 3f2a1c4d5e**" in head
    assert "Line coverage: 81.2% (-0.6)" in head
    assert "81.2% (-0.6)" in table


def test_compare_takes_the_deltas_from_another_scorecard(tmp_path: Path) -> None:
    root = write_project(tmp_path / "proj", {"a.py": "import os\nx = 1\n"})
    _, before = audit(root, tmp_path / "before", "--no-history", gates="lint")
    (root / "a.py").write_text("import os\nimport sys\nimport re\nx = 1\n", encoding="utf-8")
    _, after = audit(root, tmp_path / "after", "--no-history", "--compare",
                     tmp_path / "before" / "scorecard.json", gates="lint")
    base = after["history"]["base"]
    assert base["source"] == "compare"
    assert base["figures"]["lint.max_warnings_per_file"]["value"] == (
        condition(before, "lint", "max_warnings_per_file")["value"]
    )
    assert condition(after, "lint", "max_warnings_per_file")["value"] > (
        base["figures"]["lint.max_warnings_per_file"]["value"]
    )
    assert after["history"]["recorded"] is False


@pytest.mark.parametrize(("given", "url", "shown"), [
    ("postgresql://team:s3cret@db.example/audits", "postgresql+psycopg://team:s3cret@db.example/audits",
     "postgresql+psycopg://team:***@db.example/audits"),
    ("postgres://db/audits", "postgresql+psycopg://db/audits", "postgresql+psycopg://db/audits"),
])
@pytest.mark.unit
def test_a_postgresql_url_uses_psycopg_and_never_shows_its_password(
    given: str, url: str, shown: str,
) -> None:
    where = location.from_text(given, "--history", None, Path.cwd())
    assert (where.url, where.shown) == (url, shown)


@pytest.mark.unit
def test_a_remote_is_the_identity_without_its_credentials() -> None:
    assert location.without_credentials("https://bot:tok3n@git.example/org/app.git") == (
        "https://git.example/org/app.git"
    )
    assert location.without_credentials("git@git.example:org/app.git") == (
        "git@git.example:org/app.git"
    )


@pytest.mark.skipif(chromium() is None, reason="headless Chromium is not installed")
def test_the_trend_section_renders_in_chromium_without_script(tmp_path: Path) -> None:
    runs = [card(datetime(2026, 3, 2, 9 + i), line_coverage=v, commit=f"{i}" * 12)
            for i, v in enumerate((84.0, 82.5, 86.0))]
    section = HistorySection(
        store="h.sqlite", target="t", branch="main", base_branch="main", main_branch="main",
        recorded=True, warnings=(), base=base_run(runs[1], "history", "main"),
        trend=tuple(trend_run(r) for r in runs), metrics=None,
    )
    page = tmp_path / "scorecard.html"
    page.write_text(HtmlRenderer().render(replace(runs[2], history=section)), "utf-8")
    dom = dump_dom(page, tmp_path / "profile")
    assert "<script" not in dom
    charts = dict(re.findall(r'data-chart="([^"]+)".*?points="([^"]+)"', dom, flags=re.DOTALL))
    assert set(charts) == {"score", "coverage.line_coverage", "lint.critical_errors"}
    heights = [float(p.split(",")[1]) for p in charts["coverage.line_coverage"].split()]
    assert heights[1] > heights[0] > heights[2]  # 82.5 lowest on the page, 86 highest
    assert dom.count('class="target"') == 2  # coverage >= 80 and critical errors <= 0
    assert "+3.5 vs main @ 1111111111" in dom
    screenshot(page, tmp_path / "page.png", tmp_path / "profile", size="1280,1600")


def test_deltas_compare_with_the_last_base_run_of_the_same_gates(tmp_path: Path) -> None:
    where = location.from_text(str(tmp_path / "h.sqlite"), "--history", None, Path.cwd())
    store = Store(where)
    full = card(datetime(2026, 3, 1, 9), line_coverage=70.0)
    lint_only = replace(card(datetime(2026, 3, 1, 10), critical_errors=4),
                        gates=[g for g in full.gates if g.id == "lint"])
    try:
        store.record(full, "t")
        store.record(lint_only, "t")
    finally:
        store.close()
    now = card(datetime(2026, 3, 2, 9), branch="feature", line_coverage=85.0)
    ref = location.HistoryRef(where, "t", "main", "configured")
    judged = recorder.attach_and_record(now, ref, None, MetricSettings(30, 3))
    assert judged.history is not None
    assert judged.history.base is not None
    # The later lint-only run on main is no base for an audit of coverage and lint.
    assert judged.history.base.started_at == full.started_at
    assert deltas(judged)[("coverage", "line_coverage")].change == "+15"


@pytest.mark.unit
def test_a_trend_chart_draws_the_threshold_its_caption_names() -> None:
    runs = [card(datetime(2026, 3, 2, 9 + i), line_coverage=v, commit=f"{i}" * 12)
            for i, v in enumerate((84.0, 86.0))]
    now = runs[-1]
    ratcheted = replace(now, gates=[
        replace(g, conditions=[
            replace(c, threshold=100.0, ratchet=86.8) if c.id == "line_coverage" else c
            for c in g.conditions
        ]) for g in now.gates
    ])
    section = HistorySection(
        store="h.sqlite", target="t", branch="main", base_branch="main", main_branch="main",
        recorded=True, warnings=(), base=None, trend=tuple(trend_run(r) for r in runs),
        metrics=None,
    )
    drawn = trend(replace(ratcheted, history=section))
    assert drawn is not None
    coverage = next(c for c in drawn.charts if c.id == "coverage.line_coverage")
    assert "86.8% (baseline" in coverage.target_label
    at_ratchet = chart("x", "x", section.trend, [84.0, 86.0], "%", 86.8, "")
    assert at_ratchet is not None
    assert coverage.target_y == at_ratchet.target_y
