"""Three audits of the example service, then `audit history`; the third report's trend lines
and deltas against the second, opened in headless Chromium."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import load_scorecard, run_cli
from tests.reports.support import chromium, dump_dom, screenshot
from tests.shared import once_per_run

pytestmark = pytest.mark.slow

EXAMPLE = Path(__file__).parents[2] / "examples" / "service"
UNCOVERED = (
    "\n\ndef unused_{n}(x: int) -> int:\n    if x > 0:\n        return x * {n}\n    return -x\n"
)


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.email=a@b.c", "-c", "user.name=t", *args], cwd=root,
                   check=True, capture_output=True)


@pytest.fixture(scope="module")
def three_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[dict[str, Any]]]:
    return once_per_run(tmp_path_factory, "example-history", _three_runs)


def _three_runs(base: Path) -> tuple[Path, Path, list[dict[str, Any]]]:
    root = base / "service"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".venv", "__pycache__"))
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", ".")
    _git(root, "commit", "-qm", "example")
    store = base / "history.sqlite"
    cards = []
    for n in (1, 2, 3):
        if n > 1:  # each later run adds code no test covers: line coverage goes down
            with (root / "inventory" / "models.py").open("a", encoding="utf-8") as handle:
                handle.write(UNCOVERED.format(n=n))
            _git(root, "commit", "-qam", f"change {n}")
        out = base / f"out{n}"
        result = run_cli("run", root, "--gates", "coverage,lint", "--out", out, "--python",
                         sys.executable, "--format", "html,json,markdown", "--history", store)
        assert result.code in (0, 1), result.stdout + result.stderr
        cards.append(load_scorecard(out))
    return root, store, cards


def _coverage(card: dict[str, Any]) -> float:
    gate = next(g for g in card["gates"] if g["id"] == "coverage")
    value: float = next(c for c in gate["conditions"] if c["id"] == "line_coverage")["value"]
    return value


def test_history_lists_the_three_runs_with_their_figures(
    three_runs: tuple[Path, Path, list[dict[str, Any]]],
) -> None:
    root, store, cards = three_runs
    listed = run_cli("history", root, "--history", store, "--format", "json")
    assert listed.code == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert len(rows) == 3
    assert [r["figures"]["coverage.line_coverage"]["value"] for r in rows] == [
        _coverage(c) for c in reversed(cards)
    ]
    assert [r["commit"] for r in rows] == [c["target"]["git"]["commit"] for c in reversed(cards)]
    assert _coverage(cards[0]) > _coverage(cards[1]) > _coverage(cards[2])
    table = run_cli("history", root, "--history", store).stdout
    assert table.count("main") >= 3


def test_the_third_report_has_deltas_against_the_second(
    three_runs: tuple[Path, Path, list[dict[str, Any]]], tmp_path: Path,
) -> None:
    _, _, cards = three_runs
    second, third = cards[1], cards[2]
    base = third["history"]["base"]
    assert base["commit"] == second["target"]["git"]["commit"]
    assert base["figures"]["coverage.line_coverage"]["value"] == _coverage(second)
    change = round(_coverage(third) - _coverage(second), 2)
    label = f"main @ {second['target']['git']['commit'][:10]}"
    out = Path(third["history"]["store"]).parent / "out3"
    markdown = (out / "scorecard.md").read_text(encoding="utf-8")
    first_lines = markdown.split("|", 1)[0]
    assert f"Changes since {label}" in first_lines  # the summary leads with the deltas
    assert f"({change:g})" in first_lines
    html = (out / "scorecard.html").read_text(encoding="utf-8")
    assert f"{change:g} vs {label}" in html


@pytest.mark.skipif(chromium() is None, reason="headless Chromium is not installed")
def test_the_third_report_draws_trend_lines_in_chromium(
    three_runs: tuple[Path, Path, list[dict[str, Any]]], tmp_path: Path,
) -> None:
    _, _, cards = three_runs
    page = Path(cards[2]["history"]["store"]).parent / "out3" / "scorecard.html"
    dom = dump_dom(page, tmp_path / "profile")
    section = dom[dom.index('id="runs-over-time"'):]
    coverage_chart = re.search(
        r'data-chart="coverage\.line_coverage".*?</figure>', section, flags=re.DOTALL
    )
    assert coverage_chart is not None
    chart = coverage_chart.group(0)
    points = re.search(r'<polyline class="trendline" fill="none" points="([^"]+)"', chart)
    assert points is not None
    xy = [tuple(map(float, p.split(","))) for p in points.group(1).split()]
    assert len(xy) == 3
    assert xy[0][1] < xy[1][1] < xy[2][1]  # coverage falls: each point lower on the page
    assert chart.count("<circle") == 3
    assert 'class="target"' in chart
    assert "target ≥ 90%" in chart
    assert 'data-chart="score"' in section
    assert "<script" not in dom
    screenshot(page, tmp_path / "page.png", tmp_path / "profile")
