"""The coverage gate's typed details: the same JSON in and out, and never a crash on bad input."""

from __future__ import annotations

import json
from typing import Any

import pytest

from auditor.model import GateResult
from gates.coverage.details import CoverageDetails
from gates.coverage.view import CoverageReportView
from tests.helpers import FIXTURES

pytestmark = pytest.mark.unit


def fixture_details(name: str) -> dict[str, Any]:
    card = json.loads((FIXTURES / "reports" / name).read_text(encoding="utf-8"))
    details: dict[str, Any] = next(g for g in card["gates"] if g["id"] == "coverage")["details"]
    return details


@pytest.mark.parametrize("name", ["full.json", "partial.json"])
def test_round_trip_keeps_the_json(name: str) -> None:
    details = fixture_details(name)
    assert CoverageDetails.from_dict(details).to_dict() == details


def test_round_trip_of_details_the_gate_writes_today() -> None:
    details = {
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
                   "branches": 4, "missing_branches": 1}],
        "measured_files": ["a.py"], "skipped_files": [], "critical_paths": [],
        "critical_unmeasured": [], "combined_data_files": 0, "precision": 2,
        "warnings": ["coverage.py: Module x was never imported. (module-not-imported)"],
        "log_tail": "",
    }
    assert CoverageDetails.from_dict(details).to_dict() == details


GARBAGE: list[object] = [
    None, 3, "text", [], {"tests": "many"}, {"files": {"a.py": 1}},
    {"files": [None, 3, {"path": 7, "percent": "high", "branches": True}]},
    {"totals": [1, 2], "precision": "two", "branch": "yes", "skipped_files": [1, "a.py"]},
]


@pytest.mark.parametrize("data", GARBAGE)
def test_garbage_never_raises_and_still_renders(data: object) -> None:
    details = CoverageDetails.from_dict(data)
    # What it kept is plain JSON and reads back as itself.
    assert CoverageDetails.from_dict(json.loads(json.dumps(details.to_dict()))) == details
    gate = GateResult(
        id="coverage", title="Tests and coverage", status="error", score=0.0, duration_s=0.0,
        reason="x", tool={}, conditions=[], findings=[],
        details=data if isinstance(data, dict) else {},
    )
    view = CoverageReportView()
    assert view.build(gate) is not None
    assert isinstance(view.where_to_look(gate, "line_coverage"), list)
