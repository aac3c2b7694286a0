"""The JSON Schema of scorecard.json, made from the types it describes (`audit schema`): the
scorecard's Structs and the details type of every installed gate. The shipped file
(auditor/schema/scorecard.schema.json) is this, for the built-in gates."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import msgspec

from auditor.model import Details, Scorecard

SCHEMA_ID = "https://auditor.invalid/scorecard.schema.json"
REF = "#/$defs/{name}"


def _details_rules(names: Mapping[str, str]) -> list[dict[str, Any]]:
    """For each gate id, the details schema a gate result with that id must follow."""
    return [
        {
            "if": {"properties": {"id": {"const": gate_id}}, "required": ["id"]},
            "then": {"properties": {"details": {"$ref": REF.format(name=name)}}},
        }
        for gate_id, name in names.items()
    ]


def scorecard_schema(details_types: Mapping[str, type[Details]]) -> dict[str, Any]:
    """The schema of a scorecard whose gates have DETAILS_TYPES, by gate id."""
    types = list(dict.fromkeys(details_types.values()))
    (card, *detail_refs), defs = msgspec.json.schema_components(
        [Scorecard, *types], ref_template=REF
    )
    names = {
        gate_id: detail_refs[types.index(kind)]["$ref"].rsplit("/", 1)[1]
        for gate_id, kind in details_types.items()
    }
    gate = defs["GateResult"]
    # A gate's details are its own type (by its id), any object for a gate not installed.
    gate["properties"]["details"] = {"type": "object"}
    gate["allOf"] = _details_rules(names)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "Auditor scorecard, schema version 1",
        **card,
        "$defs": dict(sorted(defs.items())),
    }


def text(schema: Mapping[str, Any]) -> str:
    """The schema as the shipped file holds it."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
