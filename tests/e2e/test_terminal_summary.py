"""The end of `audit run` on the terminal: a failed condition says where to look (the worst
files and rules), and findings of a gate that passed within its limits are listed as warnings,
never passed over in silence."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import run_cli, write_project


def test_a_failed_condition_says_where_to_look(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {"mod.py": "x = undefined_name\n"})
    ran = run_cli("run", root, "--gates", "lint", "--no-history", "--out", tmp_path / "o")
    assert ran.code == 1, ran.stderr
    where = [line for line in ran.stdout.splitlines() if line.startswith("where: ")]
    assert where
    assert where[0].startswith("where: lint critical_errors: ")
    assert "mod.py" in where[0]


def test_findings_within_the_limits_are_listed_as_warnings(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {"mod.py": "import os\n"})
    ran = run_cli("run", root, "--gates", "lint", "--no-history", "--out", tmp_path / "o")
    assert ran.code == 0, ran.stderr
    assert "warning: lint: 1 new finding(s) within its limits" in ran.stdout
    assert "mod.py:1 [F401]" in ran.stdout
