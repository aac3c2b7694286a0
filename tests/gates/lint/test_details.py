"""The lint gate's typed details: the scorecard's JSON keys, a damaged record rejected with the
field named, and the view of details that are not the gate's."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from auditor.model import Details, ExcludedFiles, GateResult, ToolRun
from auditor.toolinfo import Pin, ResolvedTool
from gates.lint.details import FileCounts, LintDetails
from gates.lint.view import LintReportView

pytestmark = pytest.mark.unit

RUFF = ResolvedTool(
    name="ruff", version="0.15.6", source="target", command=("/v/bin/python", "-m", "ruff"),
    pins=(Pin(spec="==0.15.6", where="uv.lock"),),
)


def lint_result(details: Details) -> GateResult:
    return GateResult(
        id="lint", title="Lint", status="passed", score=100.0, duration_s=1.0, reason=None,
        tool=ToolRun(name="ruff", version="0.15.6"), conditions=[], findings=[], details=details,
    )


def test_the_json_keys_are_the_scorecards() -> None:
    details = LintDetails(
        selection="project configuration in pyproject.toml",
        critical_rules=("E9", "invalid-syntax"),
        files_checked=3,
        by_rule={"F401": 2},
        by_file={"a.py": FileCounts(critical=0, warnings=2)},
        tools=(RUFF,),
        exclusion=ExcludedFiles(globs=("vendor",), files=4),
    )
    data: dict[str, Any] = msgspec.json.decode(msgspec.json.encode(details))
    assert data == {
        "tools": [{
            "name": "ruff", "version": "0.15.6", "source": "target",
            "command": ["/v/bin/python", "-m", "ruff"],
            "pins": [{"spec": "==0.15.6", "where": "uv.lock"}],
        }],
        "exclusion": {"globs": ["vendor"], "files": 4},
        "selection": "project configuration in pyproject.toml",
        "critical_rules": ["E9", "invalid-syntax"],
        "files_checked": 3,
        "by_rule": {"F401": 2},
        "by_file": {"a.py": {"critical": 0, "warnings": 2}},
    }
    assert msgspec.json.decode(msgspec.json.encode(details), type=LintDetails) == details
    # What the gate did not get to is left out, never written as null or empty.
    assert msgspec.json.encode(LintDetails()) == b"{}"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"selection": 1}, "selection"),
        ({"critical_rules": "E9"}, "critical_rules"),
        ({"files_checked": "many"}, "files_checked"),
        ({"by_rule": [1]}, "by_rule"),
        ({"by_file": {"a.py": "x"}}, "by_file"),
        ({"by_file": {"b.py": {"critical": "1", "warnings": None}}}, "by_file"),
        ({"tools": 3}, "tools"),
        ({"tools": [{"name": 2, "version": "1", "source": "target", "command": []}]}, "tools"),
        ({"tools": [{"name": "r", "version": "1", "source": "elsewhere", "command": []}]},
         "tools"),
        ({"exclusion": []}, "exclusion"),
        ({"exclusion": {"globs": "vendor", "files": "3"}}, "exclusion"),
    ],
)
def test_damaged_details_are_rejected_naming_the_field(data: object, field: str) -> None:
    # What `from_dict` once read leniently is now a validation error at the bad field.
    with pytest.raises(msgspec.ValidationError, match=rf"`\$\.{field}"):
        msgspec.convert(data, LintDetails)


def test_an_unknown_key_is_rejected() -> None:
    with pytest.raises(msgspec.ValidationError, match="unknown field `other`"):
        msgspec.convert({"selection": "x", "other": 1}, LintDetails)


def test_the_view_shows_only_the_gates_own_details() -> None:
    view = LintReportView()
    errored = lint_result(Details(log_tail="ruff crashed"))
    assert view.build(errored) is None
    assert view.where_to_look(errored, "max_warnings_per_file") == []
    built = view.build(lint_result(LintDetails(
        selection="ruff defaults", critical_rules=("E9",), by_rule={"F401": 2, "E501": 3},
        by_file={"a.py": FileCounts(critical=0, warnings=5)},
    )))
    assert built is not None
    assert built.selection == "ruff defaults"
    assert [rule for rule, _n, _critical in built.rules] == ["E501", "F401"]
    assert built.files == [("a.py", "0", "5")]
