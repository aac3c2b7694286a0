"""The coverage gate's typed details: the same JSON in and out, and damaged details refused with
the field they damage named."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest

from auditor.model import Details, ExcludedFiles, GateResult, ToolRun
from gates.coverage.details import (
    CoverageDetails,
    FileRow,
    NewLineCoverage,
    Reused,
    SuiteOutcomes,
    Totals,
    UncoveredLines,
)
from gates.coverage.view import CoverageReportView
from tests.helpers import FIXTURES

pytestmark = pytest.mark.unit


def fixture_details(name: str) -> dict[str, Any]:
    card = json.loads((FIXTURES / "reports" / name).read_text(encoding="utf-8"))
    details: dict[str, Any] = next(g for g in card["gates"] if g["id"] == "coverage")["details"]
    return details


def as_json(details: CoverageDetails) -> Any:
    return json.loads(msgspec.json.encode(details))


def result(details: Details) -> GateResult:
    return GateResult(
        id="coverage", title="Tests and coverage", status="error", score=0.0, duration_s=0.0,
        reason="x", tool=ToolRun(name="pytest + coverage.py", version=""), conditions=[],
        findings=[], details=details,
    )


@pytest.mark.parametrize("name", ["full.json", "partial.json"])
def test_round_trip_keeps_the_json(name: str) -> None:
    details = fixture_details(name)
    typed = msgspec.convert(details, CoverageDetails)
    assert as_json(typed) == details
    view = CoverageReportView()
    assert view.build(result(typed)) is not None


# Every key the gate writes, as it writes them (empty lists and None are left out).
WRITTEN_TODAY: dict[str, Any] = {
    "interpreter": "/p/.venv/bin/python", "python_version": "3.11.7",
    "command": "python -m coverage",
    "tests": {"collected": 3, "passed": 1, "failed": 1, "errors": 0, "skipped": 0,
              "xfailed": 1, "xpassed": 0},
    "pytest_exit_code": 1, "pytest_args_added": ["--no-cov"], "branch": True,
    "line_coverage_figure": "totals.percent_covered",
    "totals": {"percent": 80.0, "percent_display": "80", "statements": 10, "missing": 2,
               "statement_percent": 80.0, "branches": 4, "missing_branches": 1,
               "branch_percent": 75.0},
    "files": [{"path": "a.py", "statements": 10, "missing": 2, "percent": 80.0,
               "missing_lines": "3-4", "critical": False, "measured": True,
               "branches": 4, "missing_branches": 1},
              {"path": "b.py", "statements": 0, "missing": 0, "percent": 0.0,
               "missing_lines": "", "critical": True, "measured": False}],
    "measured_files": ["a.py"], "critical_paths": ["b.py"], "critical_unmeasured": ["b.py"],
    "combined_data_files": 0, "precision": 2,
    "exclusion": {"globs": ["vendor"], "files": 3},
    "new_code": {"ref": "main", "merge_base": "0" * 40, "files": 2, "lines": 9,
                 "executable_lines": 6, "covered_lines": 4,
                 "uncovered": [{"path": "a.py", "lines": "3-4"}]},
    "reused": {"coverage_data": ["/ci/.coverage"], "junit": ["/ci/junit.xml"]},
    "warnings": ["coverage.py: Module x was never imported. (module-not-imported)"],
    "log_tail": "coverage run -m pytest\n1 failed",
}


def test_round_trip_of_details_the_gate_writes_today() -> None:
    typed = msgspec.convert(WRITTEN_TODAY, CoverageDetails)
    assert as_json(typed) == WRITTEN_TODAY
    assert typed.new_code is not None
    assert typed.new_code.uncovered == (UncoveredLines(path="a.py", lines="3-4"),)


def test_the_typed_objects_write_those_keys() -> None:
    built = CoverageDetails(
        interpreter="/p/.venv/bin/python", python_version="3.11.7",
        command="python -m coverage",
        tests=SuiteOutcomes(collected=3, passed=1, failed=1, errors=0, skipped=0, xfailed=1,
                            xpassed=0),
        pytest_exit_code=1, pytest_args_added=("--no-cov",), branch=True,
        line_coverage_figure="totals.percent_covered",
        totals=Totals(percent=80.0, percent_display="80", statements=10, missing=2,
                      statement_percent=80.0, branches=4, missing_branches=1,
                      branch_percent=75.0),
        files=(
            FileRow(path="a.py", statements=10, missing=2, percent=80.0, missing_lines="3-4",
                    critical=False, measured=True, branches=4, missing_branches=1),
            FileRow(path="b.py", statements=0, missing=0, percent=0.0, missing_lines="",
                    critical=True, measured=False),
        ),
        measured_files=("a.py",), critical_paths=("b.py",), critical_unmeasured=("b.py",),
        combined_data_files=0, precision=2,
        exclusion=ExcludedFiles(globs=("vendor",), files=3),
        new_code=NewLineCoverage(ref="main", merge_base="0" * 40, files=2, lines=9,
                                 executable_lines=6, covered_lines=4,
                                 uncovered=(UncoveredLines(path="a.py", lines="3-4"),)),
        reused=Reused(coverage_data=("/ci/.coverage",), junit=("/ci/junit.xml",)),
        warnings=("coverage.py: Module x was never imported. (module-not-imported)",),
        log_tail="coverage run -m pytest\n1 failed",
    )
    assert as_json(built) == WRITTEN_TODAY
    assert as_json(CoverageDetails()) == {}


# Damaged details, and where the validation error says the damage is. Reading them used to
# tolerate anything (`from_dict`); a scorecard is now validated when it is read back.
DAMAGED: list[tuple[object, str]] = [
    (None, "got `null`"), (3, "got `int`"), ("text", "got `str`"), ([], "got `array`"),
    ({"tests": "many"}, "$.tests"),
    ({"files": {"a.py": 1}}, "$.files"),
    ({"files": [None, 3, {"path": 7, "percent": "high", "branches": True}]}, "$.files[0]"),
    ({"files": [{"path": 7}]}, "$.files[0].path"),
    ({"files": [{"path": "a.py", "percent": "high"}]}, "$.files[0].percent"),
    ({"totals": [1, 2], "precision": "two", "branch": "yes"}, "$.totals"),
    ({"precision": "two"}, "$.precision"),
    ({"branch": "yes"}, "$.branch"),
    ({"skipped_files": [1, "a.py"]}, "$.skipped_files[0]"),
    ({"new_code": {"ref": "main"}}, "$.new_code"),
    ({"reused": {"coverage_data": "x.coverage"}}, "$.reused.coverage_data"),
    ({"coverage_config": "pyproject.toml"}, "coverage_config"),
]


@pytest.mark.parametrize(("data", "named"), DAMAGED)
def test_damaged_details_are_refused_naming_the_field(data: object, named: str) -> None:
    with pytest.raises(msgspec.ValidationError) as raised:
        msgspec.convert(data, CoverageDetails)
    assert named in str(raised.value)


def test_details_of_another_type_render_generically() -> None:
    """An errored gate's base details: the view leaves them to the generic rendering."""
    gate = result(Details(log_tail="pytest crashed"))
    view = CoverageReportView()
    assert view.build(gate) is None
    for condition_id in ("tests_failed", "line_coverage", "new_line_coverage",
                         "critical_coverage"):
        assert view.where_to_look(gate, condition_id) == []


def test_where_to_look_reads_the_typed_details() -> None:
    details = msgspec.convert(WRITTEN_TODAY, CoverageDetails)
    view = CoverageReportView()
    gate = result(details)
    assert view.where_to_look(gate, "new_line_coverage") == ["a.py changed lines 3-4 never ran"]
    assert view.where_to_look(gate, "line_coverage") == ["b.py at 0%", "a.py at 80%"]
    assert view.where_to_look(gate, "critical_coverage") == ["b.py at 0%"]
    built = view.build(gate)
    assert built is not None
    assert built.tests[0] == ("collected", "3")
    assert [f.path for f in built.files] == ["b.py", "a.py"]
