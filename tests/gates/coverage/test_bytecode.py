"""The test run's bytecode: read where pip installed it, never written (not into the target, the
work directory or the tool cache)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from auditor import config
from auditor.plugin import GateContext
from gates.coverage.details import CoverageDetails
from gates.coverage.gate import CoverageGate
from tests.helpers import copy_project, tree_snapshot


def _context(root: Path, workdir: Path, cache_dir: Path | None) -> GateContext:
    workdir.mkdir(parents=True)
    gate_config = config.load(root, None).gates["coverage"]
    return GateContext(
        root=root,
        python=Path(sys.executable),
        workdir=workdir,
        out_dir=workdir / "out",
        config=gate_config,
        deadline=time.monotonic() + gate_config.timeout,
        cache_dir=cache_dir,
    )


def _bytecode(under: Path) -> dict[str, int]:
    """Each .pyc under UNDER, with the time it was last written."""
    return {str(p.relative_to(under)): p.stat().st_mtime_ns for p in under.rglob("*.pyc")}


def test_the_test_run_reads_installed_bytecode_and_writes_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pytest and the installed packages load from the bytecode pip compiled, as a run by hand
    does (a PYTHONPYCACHEPREFIX would hide it and compile them again on every audit); nothing
    is written into the target, the work directory or the tool cache."""
    # Bytecode writing on, whatever the test environment says.
    monkeypatch.delenv("PYTHONDONTWRITEBYTECODE", raising=False)
    monkeypatch.delenv("PYTHONPYCACHEPREFIX", raising=False)
    root = copy_project("cov_half", tmp_path)
    before = tree_snapshot(root)
    tools = tmp_path / "tools"
    installed = Path(pytest.__file__).parent.parent / "_pytest"
    installed_before = _bytecode(installed)
    first = CoverageGate().measure(_context(root, tmp_path / "work1", tools))
    second = CoverageGate().measure(_context(root, tmp_path / "work2", tools))
    assert second.values == first.values
    assert first.values["line_coverage"] == 50.0
    for place in (tmp_path / "work1", tmp_path / "work2", tools):
        assert not _bytecode(place), f"bytecode was written into {place}"
    assert _bytecode(installed) == installed_before
    assert tree_snapshot(root) == before
    assert not list(root.rglob("__pycache__"))


def test_the_kept_outcome_counter_is_not_measured_as_the_projects(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without coverage `source` every file run is measured; the auditor's plugin, now kept in
    the tool cache, is still left out, and the figures are the project's alone."""
    monkeypatch.delenv("PYTHONDONTWRITEBYTECODE", raising=False)
    root = copy_project("cov_half", tmp_path)
    pyproject = root / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text(encoding="utf-8").replace('source = ["calc"]', "branch = false"),
        encoding="utf-8",
    )
    tools = tmp_path / "tools"
    measured = CoverageGate().measure(_context(root, tmp_path / "work", tools))
    details = measured.details
    assert isinstance(details, CoverageDetails)
    assert details.measured_files
    assert all(
        not name.startswith("/") and "_audit_pytest_outcomes" not in name
        for name in details.measured_files
    ), details.measured_files
