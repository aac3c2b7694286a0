"""ruff's warnings (deprecated settings) reach the reader while the gate still measures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from gates.lint.details import LintDetails
from gates.lint.ruff_run import parse_warnings
from tests.helpers import run_gate, write_project


def test_deprecated_settings_are_a_warning(tmp_path: Path) -> None:
    root = write_project(tmp_path / "proj", {
        "pyproject.toml": '[tool.ruff]\nselect = ["E", "F"]\nignore = ["E501"]\n',
        "app.py": "import os\n",
    })
    by_hand = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--no-fix", "."],
        cwd=root, capture_output=True, text=True, check=False,
    )
    assert "top-level linter settings are deprecated" in by_hand.stderr
    result = run_gate("lint", root, tmp_path / "out")
    assert result.status == "passed", result.reason
    assert isinstance(result.details, LintDetails)
    assert list(result.details.warnings) == parse_warnings(by_hand.stderr)
    [warning] = result.details.warnings
    assert "deprecated" in warning
    assert warning.endswith("'ignore' -> 'lint.ignore' 'select' -> 'lint.select'")
    assert next(c for c in result.conditions if c.id == "max_warnings_per_file").value == 1
