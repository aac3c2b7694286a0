"""`[tool.audit] exclude` leaves vendored and generated code out of every gate: each figure equals
its tool run by hand with the same exclusion, and each gate counts the files it left out."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import msgspec
import pytest

from auditor.model import Details
from gates.lint.details import LintDetails
from gates.security.details import SecurityDetails
from gates.type.details import TypeDetails
from tests.helpers import audit, condition, gate, run_cli, write_project
from tests.shared import once_per_run

EXCLUDE = ["vendor", "*_pb2.py"]
# Problems for every tool, in the code to leave out.
VENDORED = """\
import os
import subprocess

count: int = "many"


def run(cmd):
    return subprocess.call(cmd, shell=True)


def unused():
    return 1
"""

PROJECT = {
    "pyproject.toml": f"""\
        [tool.audit]
        exclude = {json.dumps(EXCLUDE)}

        [tool.audit.lint]
        max_warnings_per_file = 100

        [tool.audit.type]
        type_coverage = 0

        [tool.audit.security]
        audit_dependencies = false
        """,
    "pkg/__init__.py": "",
    "pkg/core.py": """\
        def double(x: int) -> int:
            return 2 * x


        def half(x: int) -> float:
            return x / 2
        """,
    "pkg/msg_pb2.py": VENDORED,
    "vendor/__init__.py": "",
    "vendor/lib.py": VENDORED,
    "tests/test_core.py": """\
        from pkg.core import double
        from pkg import msg_pb2
        from vendor import lib


        def test_double() -> None:
            assert double(2) == 4
            assert lib.unused() == msg_pb2.unused() == 1
        """,
}


def by_hand(root: Path, *cmd: str | Path, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(
        [sys.executable, *map(str, cmd)], cwd=root, capture_output=True, text=True, check=False,
        env={**os.environ, **(env or {})},
    )
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    return proc.stdout


@pytest.fixture(scope="module")
def excluded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, Any]]:
    def build(base: Path) -> tuple[Path, Path, dict[str, Any]]:
        root = write_project(base / "proj", PROJECT)
        code, card = audit(root, base / "out", gates="coverage,lint,type,security")
        assert code in (0, 1), [g["reason"] for g in card["gates"]]
        return base, root, card

    return once_per_run(tmp_path_factory, "exclude", build)


def test_lint_equals_ruff_with_extend_exclude(excluded: Any) -> None:
    _base, root, card = excluded
    ruff = ["-m", "ruff", "check", "--isolated", "--no-cache", "--output-format", "json"]
    every = json.loads(by_hand(root, *ruff, "."))
    kept = json.loads(by_hand(root, *ruff, "--extend-exclude", "vendor,*_pb2.py", "."))
    assert len(kept) < len(every), "the excluded files have findings of their own"
    findings = gate(card, "lint")["findings"]
    assert sorted((f["path"], f["rule"]) for f in findings) == sorted(
        (Path(k["filename"]).relative_to(root).as_posix(), k["code"]) for k in kept
    )
    assert gate(card, "lint")["details"]["exclusion"] == {"globs": EXCLUDE, "files": 3}


def test_type_equals_mypy_with_exclude(excluded: Any) -> None:
    base, root, card = excluded
    mypy = ["-m", "mypy", "--cache-dir", str(base / "mypy"), "--python-executable",
            sys.executable]
    every = by_hand(root, *mypy, "pkg", "vendor")
    kept = by_hand(root, *mypy, "--exclude", r"_pb2\.py$", "pkg")
    assert "error" in every
    errors = re.search(r"Found (\d+) errors?", kept)
    assert condition(card, "type", "type_errors")["value"] == (int(errors[1]) if errors else 0)
    details = gate(card, "type")["details"]
    assert details["checked_paths"] == ["pkg"]
    assert details["exclusion"] == {"globs": EXCLUDE, "files": 3}


def test_security_equals_bandit_on_the_files_left(excluded: Any) -> None:
    _base, root, card = excluded
    every = json.loads(by_hand(root, "-m", "bandit", "-f", "json", "-q", "-r", "pkg", "vendor"))
    kept = json.loads(by_hand(root, "-m", "bandit", "-f", "json", "-q", "pkg/__init__.py",
                              "pkg/core.py"))
    high = [r for r in every["results"] if r["issue_severity"] == "HIGH"]
    assert high, "the excluded files have a HIGH finding"
    assert condition(card, "security", "critical_findings")["value"] == len(
        [r for r in kept["results"] if r["issue_severity"] == "HIGH"]
    )
    details = gate(card, "security")["details"]
    assert details["bandit"]["scanned_files"] == 2
    assert details["exclusion"] == {"globs": EXCLUDE, "files": 3}


def test_coverage_equals_coverage_report_with_omit(excluded: Any) -> None:
    base, root, card = excluded
    env = {"COVERAGE_FILE": str(base / "by-hand.coverage")}
    by_hand(root, "-m", "coverage", "run", "-m", "pytest", "-q", "-p", "no:cacheprovider",
            env=env)
    report = base / "by-hand.json"
    by_hand(root, "-m", "coverage", "json", "-o", report, "--omit", "*/vendor/*,*_pb2.py",
            env=env)
    totals = json.loads(report.read_text(encoding="utf-8"))["totals"]
    line = condition(card, "coverage", "line_coverage")["value"]
    assert line == pytest.approx(totals["percent_covered"], abs=0.005)
    details = gate(card, "coverage")["details"]
    assert details["exclusion"] == {"globs": EXCLUDE, "files": 3}
    measured = {f["path"] for f in details["files"]}
    assert not measured & {"vendor/lib.py", "vendor/__init__.py", "pkg/msg_pb2.py"}


def test_reports_count_the_excluded_files(excluded: Any) -> None:
    base, _root, _card = excluded
    result = run_cli("report", base / "out" / "scorecard.json", "--format", "markdown",
                     "--out", base / "md")
    assert result.code == 0, result.stderr
    markdown = (base / "md" / "scorecard.md").read_text(encoding="utf-8")
    assert "3 files excluded by \\[tool.audit\\] exclude (vendor, \\*\\_pb2.py)" in markdown


@pytest.mark.parametrize("glob", ["/srv/vendor", "../elsewhere"])
def test_globs_outside_the_root_are_a_config_error(tmp_path: Path, glob: str) -> None:
    root = write_project(tmp_path / "proj", {"mod.py": "x = 1\n"})
    config = tmp_path / "audit.toml"
    config.write_text(f"exclude = [{json.dumps(glob)}]\n", encoding="utf-8")
    result = run_cli("run", root, "--gates", "lint", "--config", config, "--out", tmp_path / "o")
    assert result.code == 2
    assert "must be a glob relative to the target root" in result.stderr


def test_typed_details_round_trip_what_the_gates_wrote(excluded: Any) -> None:
    _base, _root, card = excluded
    types: dict[str, type[Details]] = {
        "lint": LintDetails,
        "type": TypeDetails,
        "security": SecurityDetails,
    }
    for gate_id, kind in types.items():
        details = gate(card, gate_id)["details"]
        typed = msgspec.convert(details, kind)
        assert json.loads(msgspec.json.encode(typed)) == details, gate_id
