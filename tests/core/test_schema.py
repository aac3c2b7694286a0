"""The scorecard's JSON Schema comes from the types it describes: `audit schema` prints it, the
shipped file is its output for the built-in gates, and the scorecards the suite writes follow it."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from auditor import schema as schema_mod
from auditor.registry import gates as registered_gates
from auditor.scorecard import dumps, loads, schema
from tests.helpers import FIXTURES, run_cli

SHIPPED = Path(__file__).resolve().parents[2] / "auditor" / "schema" / "scorecard.schema.json"


def _generated() -> str:
    types = {gate_id: gate.details_type for gate_id, gate in registered_gates().items()}
    return schema_mod.text(schema_mod.scorecard_schema(types))


@pytest.mark.unit
def test_the_shipped_schema_is_the_generated_one() -> None:
    assert SHIPPED.read_text(encoding="utf-8") == _generated(), (
        "auditor/schema/scorecard.schema.json is stale: "
        "run `audit schema > auditor/schema/scorecard.schema.json`"
    )


@pytest.mark.unit
def test_each_gate_is_held_to_its_own_details() -> None:
    shipped = schema()
    jsonschema.Draft202012Validator.check_schema(shipped)
    card = json.loads(dumps(loads((FIXTURES / "reports" / "full.json").read_bytes(), "full")))
    jsonschema.validate(card, shipped)
    lint = next(g for g in card["gates"] if g["id"] == "lint")
    lint["details"]["by_rule"] = {"F401": "many"}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(card, shipped)


def test_audit_schema_prints_it() -> None:
    printed = run_cli("schema")
    assert printed.code == 0
    assert printed.stdout == _generated()
    defs = json.loads(printed.stdout)["$defs"]
    assert {"CoverageDetails", "LintDetails", "LoadDetails", "Scorecard"} <= set(defs)
