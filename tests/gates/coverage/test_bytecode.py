"""The test run's bytecode: kept in the target's per-user tool cache between audits, so a second
audit compiles nothing the first one compiled, and never written into the target."""

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


def _bytecode(prefix: Path) -> dict[str, int]:
    """Each .pyc under PREFIX, with the time it was last written."""
    return {str(p.relative_to(prefix)): p.stat().st_mtime_ns for p in prefix.rglob("*.pyc")}


def test_a_second_run_reuses_the_first_runs_bytecode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Bytecode writing on, whatever the test environment says.
    monkeypatch.delenv("PYTHONDONTWRITEBYTECODE", raising=False)
    monkeypatch.delenv("PYTHONPYCACHEPREFIX", raising=False)
    root = copy_project("cov_half", tmp_path)
    before = tree_snapshot(root)
    tools = tmp_path / "tools"
    first = CoverageGate().measure(_context(root, tmp_path / "work1", tools))
    prefix = tools / "pycache-cache"
    compiled = _bytecode(prefix)
    # pytest, coverage's plugin helpers and the target's own modules were compiled there.
    assert any("_pytest" in name for name in compiled)
    assert any(name.endswith(".pyc") and "calc" in name for name in compiled)
    assert not list((tmp_path / "work1").rglob("*.pyc"))

    second = CoverageGate().measure(_context(root, tmp_path / "work2", tools))
    assert _bytecode(prefix) == compiled, "the second run compiled again"
    assert not list((tmp_path / "work2").rglob("*.pyc"))
    assert second.values == first.values
    assert tree_snapshot(root) == before
    assert not list(root.rglob("__pycache__"))


def test_without_a_cache_directory_the_bytecode_goes_to_the_work_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PYTHONDONTWRITEBYTECODE", raising=False)
    monkeypatch.delenv("PYTHONPYCACHEPREFIX", raising=False)
    root = copy_project("cov_half", tmp_path)
    measured = CoverageGate().measure(_context(root, tmp_path / "work", None))
    assert measured.values["line_coverage"] == 50.0
    assert _bytecode(tmp_path / "work" / "pycache-cache")
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
