"""The type gate's typed details: the scorecard's JSON keys, a damaged record rejected with the
field named, and the view of details that are not the gate's."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from auditor.model import Details, GateResult, ToolRun
from gates.type.details import AnyFigures, TypeDetails
from gates.type.view import TypeReportView

pytestmark = pytest.mark.unit


def type_result(details: Details) -> GateResult:
    return GateResult(
        id="type", title="Types", status="passed", score=100.0, duration_s=1.0, reason=None,
        tool=ToolRun(name="mypy", version="1.19.1"), conditions=[], findings=[], details=details,
    )


def test_the_json_keys_are_the_scorecards() -> None:
    details = TypeDetails(
        interpreter="/v/bin/python",
        config="project configuration in pyproject.toml",
        checked="pkg: the packages and modules at the root",
        checked_paths=("pkg",),
        modules=(
            AnyFigures(module="pkg.a", any=1, total=4, coverage=75.0),
            AnyFigures(module="pkg.empty", any=0, total=0),
        ),
        total=AnyFigures(any=1, total=4, coverage=75.0),
        coverage_definition="percent not Any",
        notes=("pkg/a.py:3: a note",),
    )
    data: dict[str, Any] = msgspec.json.decode(msgspec.json.encode(details))
    assert data == {
        "interpreter": "/v/bin/python",
        "config": "project configuration in pyproject.toml",
        "checked": "pkg: the packages and modules at the root",
        "checked_paths": ["pkg"],
        "modules": [
            {"module": "pkg.a", "any": 1, "total": 4, "coverage": 75.0},
            # Nothing counted: no coverage figure, left out rather than null.
            {"module": "pkg.empty", "any": 0, "total": 0},
        ],
        "total": {"any": 1, "total": 4, "coverage": 75.0},
        "coverage_definition": "percent not Any",
        "notes": ["pkg/a.py:3: a note"],
    }
    assert msgspec.json.decode(msgspec.json.encode(details), type=TypeDetails) == details
    assert msgspec.json.encode(TypeDetails()) == b"{}"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"interpreter": []}, "interpreter"),
        ({"modules": [1, "m"]}, "modules"),
        ({"modules": [{"module": "m", "coverage": "x", "any": 1.5, "total": 2}]}, "modules"),
        ({"modules": [{"module": "m", "any": 1}]}, "modules"),
        ({"total": "all"}, "total"),
        ({"notes": [1, "note"]}, "notes"),
        ({"checked_paths": {}}, "checked_paths"),
        ({"config": 3}, "config"),
    ],
)
def test_damaged_details_are_rejected_naming_the_field(data: object, field: str) -> None:
    # What `from_dict` once read leniently is now a validation error at the bad field.
    with pytest.raises(msgspec.ValidationError, match=rf"`\$\.{field}"):
        msgspec.convert(data, TypeDetails)


def test_an_unknown_key_is_rejected() -> None:
    with pytest.raises(msgspec.ValidationError, match="unknown field `other`"):
        msgspec.convert({"config": "x", "other": 1}, TypeDetails)


def test_the_view_shows_only_the_gates_own_details() -> None:
    view = TypeReportView()
    errored = type_result(Details(log_tail="mypy crashed"))
    assert view.build(errored) is None
    assert view.where_to_look(errored, "type_coverage") == []
    measured = type_result(TypeDetails(
        interpreter="/v/bin/python",
        modules=(
            AnyFigures(module="pkg.a", any=1, total=4, coverage=75.0),
            AnyFigures(module="pkg.b", any=0, total=4, coverage=100.0),
            AnyFigures(module="pkg.empty", any=0, total=0),
        ),
        total=AnyFigures(any=1, total=8, coverage=87.5),
    ))
    built = view.build(measured)
    assert built is not None
    assert built.interpreter == "/v/bin/python"
    assert [m.module for m in built.modules] == ["pkg.empty", "pkg.a", "pkg.b"]
    assert built.total is not None
    assert view.where_to_look(measured, "type_coverage") == ["pkg.a at 75%"]
