"""Every gate walked through the ways of judging nothing, with its real tool: each one is an
error naming what was not judged, never a pass (the population rule, auditor/scoring.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.helpers import audit, condition, gate, load_scorecard, run_cli, write_project

SKIPPED_SUITE = {
    "pyproject.toml": '[tool.coverage.run]\nsource = ["pkg"]\n',
    "pkg/__init__.py": "VALUE = 1\n",
    "tests/test_pkg.py": "import pytest\n\nfrom pkg import VALUE\n\n\n"
    "@pytest.mark.skip(reason='later')\ndef test_value():\n    assert VALUE == 1\n",
}
UNANNOTATED = {"pkg/__init__.py": "def add(a, b):\n    return a + b\n"}
UNPARSABLE = {
    "pkg/__init__.py": "",
    "pkg/good.py": "def add(a: int, b: int) -> int:\n    return a + b\n",
    "pkg/legacy.py": 'print "python 2"\n',
}

NO_PYTHON = {"README.md": "# nothing to check\n"}

CASES = [
    pytest.param("lint", NO_PYTHON, "critical_errors", "no Python file",
                 id="lint: no file to check"),
    # (gate, files, the condition, what its reason says)
    pytest.param("coverage", SKIPPED_SUITE, "tests_failed", "judged over no tests executed",
                 id="coverage: every test skipped"),
    pytest.param("coverage", SKIPPED_SUITE, "line_coverage", "judged over no tests executed",
                 id="coverage: a figure from imports alone"),
    pytest.param("type", UNANNOTATED, "type_coverage", "judged over no expressions typed",
                 id="type: wholly unannotated code"),
    pytest.param("security", UNPARSABLE, "critical_findings",
                 "1 were not judged (pkg/legacy.py)", id="security: a file bandit cannot parse"),
]


@pytest.mark.parametrize(("gate_id", "files", "condition_id", "said"), CASES)
def test_judging_nothing_is_an_error(
    tmp_path: Path, gate_id: str, files: dict[str, str], condition_id: str, said: str
) -> None:
    root = write_project(tmp_path / "proj", files)
    extra = ("--config", str(_no_dependency_audit(tmp_path))) if gate_id == "security" else ()
    code, card = audit(root, tmp_path / "out", *extra, gates=gate_id, python=sys.executable)
    assert code == 3, gate(card, gate_id)["reason"]
    assert gate(card, gate_id)["status"] == "error"
    judged = condition(card, gate_id, condition_id)
    assert judged["status"] == "error"
    assert said in judged["reason"]
    assert said in gate(card, gate_id)["reason"]
    if "population" in judged:  # a tool that ran and judged less than it was given
        assert judged["population"]["size"] < judged["population"].get("given", 1)


def _no_dependency_audit(tmp_path: Path) -> Path:
    """The dependency audit needs a vulnerability source; this case is about bandit alone."""
    config = tmp_path / "audit.toml"
    config.write_text("[security]\naudit_dependencies = false\n", encoding="utf-8")
    return config


def test_a_gate_asked_for_by_name_that_cannot_run_is_an_error(tmp_path: Path) -> None:
    root = write_project(tmp_path / "proj", {"pkg/__init__.py": "VALUE = 1\n"})
    code, card = audit(root, tmp_path / "out", gates="lint,load", python=sys.executable)
    assert code == 3
    load = gate(card, "load")
    assert load["status"] == "error"
    assert "asked for with --gates, but it cannot run" in load["reason"]
    assert "start" in load["reason"]
    assert {c["status"] for c in load["conditions"]} == {"error"}
    assert gate(card, "lint")["status"] == "passed"
    # Not asked for by name (the configured gates), it is listed as not run, with the reason.
    config = tmp_path / "audit.toml"
    config.write_text('gates = ["lint", "load"]\n', encoding="utf-8")
    result = run_cli("run", root, "--config", config, "--python", sys.executable,
                     "--out", tmp_path / "out2", "--format", "json")
    assert result.code == 0, result.stdout + result.stderr
    load = gate(load_scorecard(tmp_path / "out2"), "load")
    assert load["status"] == "skipped"
    assert "start" in load["reason"]
