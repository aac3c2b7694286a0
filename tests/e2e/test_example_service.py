"""The README's demo target, audited end to end with every gate, as the demo does."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from auditor.registry import gates as registered_gates
from tests.helpers import load_scorecard, run_cli, tree_snapshot
from tests.shared import once_per_run

pytestmark = pytest.mark.slow

EXAMPLE = Path(__file__).parents[2] / "examples" / "service"


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, dict[str, Any], Path, str]:
    def build(base: Path) -> tuple[int, dict[str, Any], Path, str]:
        root = base / "service"
        shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".venv", "__pycache__"))
        # Shorter load stages than the demo's, so the suite stays quick.
        pyproject = root / "pyproject.toml"
        pyproject.write_text(
            re.sub(r"(?m)^duration = \d+$", "duration = 3", pyproject.read_text(encoding="utf-8"))
            + "\n[tool.audit.api]\nmax_examples = 10\n",
            encoding="utf-8",
        )
        before = tree_snapshot(root)
        out = base / "out"
        result = run_cli(
            "run", root, "--out", out, "--python", sys.executable,
            "--format", "html,json,junit,sarif,markdown,badge",
        )
        assert tree_snapshot(root) == before, "the audit changed the example's tree"
        return result.code, load_scorecard(out), out, result.stdout + result.stderr

    return once_per_run(tmp_path_factory, "example-service", build)


def test_every_gate_measures_and_passes(audited: tuple[int, dict[str, Any], Path, str]) -> None:
    code, card, _, output = audited
    statuses = {g["id"]: (g["status"], g["reason"]) for g in card["gates"]}
    assert code == 0, (output, statuses)
    assert [g["id"] for g in card["gates"]] == list(registered_gates())
    # A first audit has no earlier runs: the history gate is skipped with that reason.
    status, reason = statuses.pop("history")
    assert status == "skipped"
    assert reason.startswith("too few recorded runs"), reason
    assert all(status == "passed" for status, _ in statuses.values()), statuses


def test_html_names_every_condition_with_value_and_status(
    audited: tuple[int, dict[str, Any], Path, str],
) -> None:
    _, card, out, _ = audited
    html = (out / "scorecard.html").read_text(encoding="utf-8")
    for gate in card["gates"]:
        for condition in gate["conditions"]:
            assert condition["id"] in html
            assert condition["title"] in html
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in html
    for name in ("junit.xml", "scorecard.sarif", "scorecard.md", "badge.svg"):
        assert (out / name).stat().st_size > 0


def test_the_demo_shows_offered_and_achieved_rates_and_sample_sizes(
    audited: tuple[int, dict[str, Any], Path, str],
) -> None:
    _, card, out, output = audited
    assert re.search(r"peak: offered [\d.]+ req/s, achieved [\d.]+ req/s, \d+ requests", output)
    html = (out / "scorecard.html").read_text(encoding="utf-8")
    assert "requests (sample size)" in html
    assert "Sample sizes and 95% intervals" in html
    load = next(g for g in card["gates"] if g["id"] == "load")
    assert load["details"]["statistics"]["peak_error_rate"]["samples"] > 0
