"""Typed details: the scorecard's JSON round-trips through them unchanged, and any damaged or
older `details` reads without an exception and still renders."""

from __future__ import annotations

import json
from typing import Any, Protocol

import pytest

from auditor.model import GateResult
from auditor.registry import gates as registered_gates
from gates.lint.details import LintDetails
from gates.security.details import SecurityDetails
from gates.type.details import TypeDetails
from tests.helpers import FIXTURES

pytestmark = pytest.mark.unit


class Details(Protocol):
    def to_dict(self) -> dict[str, object]: ...


READERS: dict[str, Any] = {
    "lint": LintDetails.from_dict,
    "type": TypeDetails.from_dict,
    "security": SecurityDetails.from_dict,
}

GARBAGE: list[object] = [
    None, [], "details", 3, {"tools": 3, "exclusion": []},
    {
        "selection": 1, "critical_rules": "E9", "files_checked": "many", "by_rule": [1],
        "by_file": {"a.py": "x", "b.py": {"critical": "1", "warnings": None}},
        "tools": [1, "ruff", {"name": 2, "source": "elsewhere", "pins": [3, {"spec": 1}]}],
        "exclusion": {"globs": "vendor", "files": "3"},
    },
    {
        "interpreter": [], "modules": [1, "m", {"coverage": "x", "any": 1.5}, None],
        "total": "all", "notes": [1, "note"], "checked_paths": {},
    },
    {
        "bandit": {"counts": {"HIGH": "1"}, "errors": [1, {"path": 2}], "excluded": 1},
        "dependencies": {"vulnerable": [1, {"aliases": "x", "fix_versions": [1]}],
                         "skipped": "all", "installers_counted": "yes"},
    },
]


def gates_of(name: str) -> dict[str, dict[str, Any]]:
    card = json.loads((FIXTURES / "reports" / name).read_text(encoding="utf-8"))
    return {g["id"]: g for g in card["gates"]}


@pytest.mark.parametrize("gate_id", sorted(READERS))
def test_the_report_fixture_round_trips(gate_id: str) -> None:
    details = gates_of("full.json")[gate_id]["details"]
    assert details, "the fixture has details for this gate"
    # `warnings` and `log_tail` are written by scoring for every gate, not by the gate's details.
    own = {k: v for k, v in details.items() if k not in ("warnings", "log_tail")}
    assert READERS[gate_id](details).to_dict() == own


@pytest.mark.parametrize("gate_id", sorted(READERS))
@pytest.mark.parametrize("garbage", GARBAGE)
def test_garbage_reads_and_renders_without_an_exception(gate_id: str, garbage: object) -> None:
    details: Details = READERS[gate_id](garbage)
    json.dumps(details.to_dict())
    data = gates_of("full.json")[gate_id]
    result = GateResult.from_dict({**data, "details": garbage if isinstance(garbage, dict) else {}})
    view = registered_gates()[gate_id].view
    assert view is not None
    view.build(result)
    for condition in result.conditions:
        view.where_to_look(result, condition.id)
