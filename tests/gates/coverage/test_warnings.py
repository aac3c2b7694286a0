"""What coverage.py and pytest warn about reaches the reader; no data at all is an error."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.helpers import run_gate, write_project

WARNING_SUITE = {
    "pyproject.toml": '[tool.coverage.run]\nsource = ["app", "nosuchmod"]\n',
    "app.py": "def one():\n    return 1\n",
    "tests/test_app.py": """\
        import warnings

        from app import one


        def test_one():
            warnings.warn("old api", DeprecationWarning)
            assert one() == 1


        def test_again():
            warnings.warn("older api", UserWarning)
            assert one() == 1
    """,
}


def by_hand(root: Path, scratch: Path) -> tuple[str, int]:
    """coverage's stderr and the warnings count of pytest's summary, run without the auditor."""
    proc = subprocess.run(
        [sys.executable, "-m", "coverage", "run", "-m", "pytest", "-p", "no:cacheprovider"],
        cwd=root, capture_output=True, text=True, check=False,
        env={"COVERAGE_FILE": str(scratch / "data"), "PATH": "/usr/bin:/bin"},
    )
    summary = re.search(r"(\d+) warnings? in", proc.stdout.strip().splitlines()[-1])
    return proc.stderr, int(summary.group(1)) if summary else 0


def test_tool_warnings_are_kept_and_the_gate_measures(tmp_path: Path) -> None:
    root = write_project(tmp_path / "proj", WARNING_SUITE)
    (tmp_path / "hand").mkdir()
    stderr, count = by_hand(root, tmp_path / "hand")
    assert "Module nosuchmod was never imported. (module-not-imported)" in stderr
    assert count == 2
    result = run_gate("coverage", root, tmp_path / "out")
    assert result.status == "passed", result.reason
    warnings = result.details.warnings
    assert "coverage.py: Module nosuchmod was never imported. (module-not-imported)" in warnings
    pytest_line = next(w for w in warnings if w.startswith("pytest:"))
    assert pytest_line.startswith(f"pytest: {count} warnings in the warnings summary; first: ")
    assert "DeprecationWarning: old api (tests/test_app.py:7)" in pytest_line


def test_no_data_collected_is_an_error(tmp_path: Path) -> None:
    """The tests never run the measured package: coverage says it collected no data."""
    root = write_project(tmp_path / "proj", {
        "pyproject.toml": '[tool.coverage.run]\nsource = ["pkg"]\n',
        "pkg/__init__.py": "def one():\n    return 1\n",
        "tests/test_nothing.py": "def test_nothing():\n    assert True\n",
    })
    result = run_gate("coverage", root, tmp_path / "out")
    assert result.status == "error"
    assert "coverage collected no data while the tests ran" in (result.reason or "")
    assert "coverage run -m pytest" in (result.details.log_tail or "")
