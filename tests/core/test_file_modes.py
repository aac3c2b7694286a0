"""Files the auditor writes get the modes a user expects: an existing file keeps its own, a new
one gets the normal mode under the umask (never mkstemp's 0600)."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import FIXTURES, write_project


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def run_with_umask(umask: int, *args: str | Path) -> subprocess.CompletedProcess[str]:
    """`audit ARGS` in a child whose umask is UMASK."""
    code = f"import os, sys; os.umask({umask}); from auditor.cli import main; sys.exit(main())"
    return subprocess.run(
        [sys.executable, "-c", code, *map(str, args)],
        capture_output=True, text=True, check=False,
    )


@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_reports_and_scorecard_get_the_normal_mode(tmp_path: Path, umask: int) -> None:
    out = tmp_path / "out"
    result = run_with_umask(
        umask, "report", FIXTURES / "reports" / "full.json", "--out", out,
        "--format", "html,json,junit,sarif,markdown,badge",
    )
    assert result.returncode == 0, result.stderr
    written = [p for p in out.iterdir() if p.is_file()]
    assert len(written) >= 6
    for path in written:
        assert mode(path) == 0o666 & ~umask, path.name


def test_init_keeps_the_mode_of_an_existing_pyproject(tmp_path: Path) -> None:
    root = write_project(tmp_path / "proj", {"pyproject.toml": '[project]\nname = "p"\n'})
    (root / "pyproject.toml").chmod(0o640)
    result = run_with_umask(0o077, "init", root)
    assert result.returncode == 0, result.stderr
    assert "[tool.audit]" in (root / "pyproject.toml").read_text()
    assert mode(root / "pyproject.toml") == 0o640


def test_init_creates_a_pyproject_with_the_normal_mode(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    root.mkdir()
    result = run_with_umask(0o022, "init", root)
    assert result.returncode == 0, result.stderr
    assert mode(root / "pyproject.toml") == 0o644
