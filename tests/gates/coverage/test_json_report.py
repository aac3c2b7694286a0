"""coverage's JSON report written in shares: the merged totals equal one report of the same
files, as coverage.py itself writes it (run here for real on a small project)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from auditor import config
from auditor.plugin import GateContext
from gates.coverage import json_report
from gates.coverage.coverage_json import BranchSummary, CoverageReport, LineSummary, decode_report
from tests.helpers import write_project

BRANCHY = (
    "def sign(n):\n"
    "    if n > 0:\n"
    "        return 1\n"
    "    if n < 0:\n"
    "        return -1\n"
    "    return 0\n"
    "\n"
    "\n"
    "def loop(items):\n"
    "    total = 0\n"
    "    for item in items:\n"
    "        if item:\n"
    "            total += item\n"
    "    return total\n"
)


def _measured(root: Path, config: str) -> Path:
    """Run a small project's tests under coverage; the data file."""
    files = {f"pkg/mod{n}.py": BRANCHY + f"\n\ndef only_{n}():\n    return {n}\n" for n in range(5)}
    files["pkg/__init__.py"] = ""
    files["pkg/unused.py"] = "def never():\n    return 1\n"
    files["tests/test_pkg.py"] = (
        "from pkg import mod0, mod1, mod2\n\n\n"
        "def test_some():\n"
        "    assert mod0.sign(3) == 1\n"
        "    assert mod1.sign(-2) == -1\n"
        "    assert mod2.loop([0, 2]) == 2\n"
        "    assert mod2.only_2() == 2\n"
    )
    files[".coveragerc"] = config
    write_project(root, files)
    env = {**os.environ, "COVERAGE_FILE": str(root / ".coverage")}
    subprocess.run([sys.executable, "-m", "coverage", "run", "-m", "pytest", "-q",
                    "-p", "no:cacheprovider"], cwd=root, env=env, check=True,
                   capture_output=True)
    return root / ".coverage"


def _report(root: Path, name: str, *args: str) -> CoverageReport[LineSummary]:
    out = root / name
    env = {**os.environ, "COVERAGE_FILE": str(root / ".coverage")}
    subprocess.run([sys.executable, "-m", "coverage", "json", "-o", str(out), *args], cwd=root,
                   env=env, check=True, capture_output=True)
    return decode_report(out.read_bytes())


@pytest.mark.parametrize("config", [
    "[run]\nsource = pkg\nbranch = True\n[report]\nprecision = 3\n",
    "[run]\nsource = pkg\n",
    "[run]\nsource = pkg\n[report]\nprecision = 0\n",
])
def test_merged_shares_total_what_one_report_of_every_file_says(
    tmp_path: Path, config: str
) -> None:
    data = _measured(tmp_path, config)
    measured = json_report.measured_files(data)
    assert measured is not None
    assert len(measured) == 7  # the unexecuted module is in the data too (`source`)
    whole = _report(tmp_path, "whole.json")
    first, second = sorted(measured)[::2], sorted(measured)[1::2]
    merged = json_report.merged([_report(tmp_path, "a.json", *first),
                                 _report(tmp_path, "b.json", *second)])
    assert merged.totals == whole.totals
    assert merged.files == whole.files
    assert isinstance(merged.totals, BranchSummary) == ("branch" in config)


def test_files_left_out_of_a_whole_report_total_as_coverage_totals_the_rest(
    tmp_path: Path
) -> None:
    _measured(tmp_path, "[run]\nsource = pkg\nbranch = True\n")
    whole = _report(tmp_path, "whole.json")
    kept = json_report._kept(whole, lambda path: not path.endswith("mod1.py"), tmp_path)
    by_coverage = _report(tmp_path, "rest.json", "--omit", "*/mod1.py")
    assert kept.totals == by_coverage.totals
    assert sorted(kept.files) == sorted(by_coverage.files)


@pytest.mark.unit
def test_shares_hold_every_file_once_in_about_equal_bytes(tmp_path: Path) -> None:
    files = []
    for n in range(45):
        path = tmp_path / f"m{n}.py"
        path.write_text("x = 1\n" * (n + 1), encoding="utf-8")
        files.append(str(path))
    parts = json_report.shares(files, cpus=2)
    assert len(parts) == 2
    assert sorted(f for part in parts for f in part) == sorted(files)
    sizes = [sum(Path(f).stat().st_size for f in part) for part in parts]
    assert abs(sizes[0] - sizes[1]) <= max(sizes) * 0.05
    assert len(json_report.shares(files[:39], cpus=2)) == 1  # too few files for two
    assert len(json_report.shares(files, cpus=1)) == 1
    assert len(json_report.shares(files * 3, cpus=64)) == json_report.MAX_SHARES


@pytest.mark.unit
def test_a_data_file_that_is_not_coverage_data_has_no_file_list(tmp_path: Path) -> None:
    empty = tmp_path / ".coverage"
    empty.write_bytes(b"")
    assert json_report.measured_files(empty) is None
    assert json_report.measured_files(tmp_path / "missing") is None


def _context(root: Path) -> GateContext:
    gate_config = config.load(root, None).gates["coverage"]
    return GateContext(
        root=root, python=Path(sys.executable), workdir=root, out_dir=root / "out",
        config=gate_config, deadline=time.monotonic() + 120,
    )


@pytest.mark.parametrize("way", ["shares", "one report"])
def test_the_gates_report_is_what_coverage_reports_of_the_files_it_keeps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, way: str
) -> None:
    """Written in two shares side by side, or (file names too long for command lines) as one
    report of every file with the left-out file dropped: the same totals as coverage's own."""
    _measured(tmp_path, "[run]\nsource = pkg\nbranch = True\n")
    monkeypatch.setattr(json_report, "FILES_PER_SHARE", 2)
    monkeypatch.setattr(json_report, "_cpus", lambda: 2)
    if way == "one report":
        monkeypatch.setattr(json_report, "MAX_NAMES_BYTES", 0)
    env = {**os.environ, "COVERAGE_FILE": str(tmp_path / ".coverage")}
    written = json_report.write_report(
        _context(tmp_path), [sys.executable, "-m", "coverage"], env,
        lambda path: not path.endswith("mod4.py"),
    )
    by_coverage = _report(tmp_path, "rest.json", "--omit", "*/mod4.py")
    assert written.report.totals == by_coverage.totals
    assert sorted(written.report.files) == sorted(by_coverage.files)
    shares = sorted(p.name for p in tmp_path.glob("coverage.*.json"))
    assert shares == (["coverage.0.json", "coverage.1.json"] if way == "shares" else [])
