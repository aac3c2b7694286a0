"""Typed details: the scorecard's JSON round-trips through each gate's details type unchanged;
damaged details are refused with the field named, never guessed at; base details (a gate that
could not measure) render through the generic view."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest

from auditor.errors import ConfigError
from auditor.model import Details
from auditor.registry import gates as registered_gates
from auditor.scorecard import loads
from tests.helpers import FIXTURES

pytestmark = pytest.mark.unit

FULL = FIXTURES / "reports" / "full.json"

GARBAGE: list[tuple[object, str]] = [
    ([], "$.gates[{i}].details"),
    ("details", "$.gates[{i}].details"),
    ({"tools": 3}, "$.gates[{i}].details.tools"),
    ({"exclusion": []}, "$.gates[{i}].details.exclusion"),
    ({"tools": [{"name": 2}]}, "$.gates[{i}].details.tools[0]"),
    ({"exclusion": {"globs": "vendor", "files": "3"}}, "$.gates[{i}].details.exclusion"),
    ({"warnings": [1]}, "$.gates[{i}].details.warnings[0]"),
    ({"no such key": 1}, "no such key"),
]


def _card() -> dict[str, Any]:
    card: dict[str, Any] = json.loads(FULL.read_text(encoding="utf-8"))
    return card


def _gate_ids() -> list[str]:
    return [g["id"] for g in _card()["gates"] if g["id"] in registered_gates()]


@pytest.mark.parametrize("gate_id", _gate_ids())
def test_the_report_fixture_round_trips(gate_id: str) -> None:
    details = next(g for g in _card()["gates"] if g["id"] == gate_id)["details"]
    assert details, "the fixture has details for this gate"
    typed = msgspec.convert(details, registered_gates()[gate_id].details_type)
    assert json.loads(msgspec.json.encode(typed)) == details


@pytest.mark.parametrize("gate_id", _gate_ids())
@pytest.mark.parametrize(("garbage", "named"), GARBAGE)
def test_damaged_details_are_refused_naming_the_field(
    gate_id: str, garbage: object, named: str
) -> None:
    card = _card()
    index = next(i for i, g in enumerate(card["gates"]) if g["id"] == gate_id)
    card["gates"][index]["details"] = garbage
    with pytest.raises(ConfigError) as refused:
        loads(json.dumps(card).encode(), "scorecard.json")
    assert named.format(i=index) in str(refused.value)
    assert str(refused.value).startswith("scorecard.json is not a valid scorecard: ")


@pytest.mark.parametrize("gate_id", _gate_ids())
def test_base_details_render_through_the_generic_view(gate_id: str) -> None:
    card = loads(FULL.read_bytes(), "full.json")
    result = next(g for g in card.gates if g.id == gate_id)
    bare = msgspec.structs.replace(result, details=Details(log_tail="crashed"))
    view = registered_gates()[gate_id].view
    assert view is not None
    assert view.build(bare) is None
    for condition in result.conditions:
        assert isinstance(view.where_to_look(bare, condition.id), list)
