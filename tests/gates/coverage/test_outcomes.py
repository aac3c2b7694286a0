"""Test outcomes are counted as pytest's own summary counts them (xfailed and xpassed too)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from gates.coverage.details import CoverageDetails
from tests.helpers import run_gate, write_project

OUTCOMES_PROJECT = {
    "app.py": "def one():\n    return 1\n",
    "tests/test_app.py": """\
        import pytest

        from app import one


        def test_passes():
            assert one() == 1


        def test_fails():
            assert one() == 2


        @pytest.mark.skip(reason="not today")
        def test_skipped():
            pass


        @pytest.mark.xfail(reason="known bug")
        def test_xfailed():
            assert one() == 2


        def test_xfailed_imperatively():
            pytest.xfail("not supported here")


        @pytest.mark.xfail(reason="fixed since")
        def test_xpassed():
            assert one() == 1
    """,
}


def pytest_summary(root: Path) -> dict[str, int]:
    """The counts of pytest's own last summary line, run by hand."""
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider"],
        cwd=root, capture_output=True, text=True, check=False,
    )
    last = proc.stdout.strip().splitlines()[-1]
    return {word: int(n) for n, word in re.findall(r"(\d+) (\w+)", last)}


def test_xfailed_and_xpassed_are_counted_as_pytest_counts_them(tmp_path: Path) -> None:
    root = write_project(tmp_path / "proj", OUTCOMES_PROJECT)
    summary = pytest_summary(root)
    assert summary == {"failed": 1, "passed": 1, "skipped": 1, "xfailed": 2, "xpassed": 1}
    result = run_gate("coverage", root, tmp_path / "out")
    assert isinstance(result.details, CoverageDetails)
    assert result.details.tests is not None
    tests = dict(result.details.tests.counts())
    for outcome, count in summary.items():
        assert tests[outcome] == count, (outcome, tests)
    assert tests["collected"] == sum(summary.values())
    assert next(c for c in result.conditions if c.id == "tests_failed").value == 1
