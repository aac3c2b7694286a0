"""Files an audit left in the target show in every report; old scorecards without the check
render as before."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from msgspec.structs import replace

from auditor.model import LeftFile, Scorecard
from auditor.scorecard import dumps, loads
from reports import sarif
from reports.registry import RENDERERS
from tests.helpers import validate_scorecard
from tests.reports.support import card, sarif_validator

pytestmark = pytest.mark.unit

LEFT = [
    LeftFile(".hypothesis/examples/x", "added", ("coverage",)),
    LeftFile("data.cfg", "modified", ("coverage", "lint")),
]


def left_card(with_findings: bool = True) -> Scorecard:
    base = card("full")
    if not with_findings:
        base = replace(base, gates=[replace(g, findings=[]) for g in base.gates])
    return replace(base, left_in_target=LEFT)


def test_scorecard_json_round_trips_and_matches_the_schema() -> None:
    data = json.loads(dumps(left_card()))
    validate_scorecard(data)
    assert data["left_in_target"][1] == {
        "path": "data.cfg", "change": "modified", "gates": ["coverage", "lint"],
    }
    assert loads(dumps(left_card()).encode(), "left").left_in_target == LEFT


def test_old_scorecard_claims_nothing_about_the_tree() -> None:
    assert card("full").left_in_target is None
    assert "left_in_target" not in json.loads(dumps(card("full")))


def test_every_human_and_ci_report_names_the_files() -> None:
    line = "the audit modified data.cfg in the target (while coverage or lint ran)"
    for format_id in ("html", "markdown", "junit", "sarif"):
        rendered = RENDERERS[format_id].render(left_card())
        assert ".hypothesis/examples/x" in rendered, format_id
        assert line in rendered, format_id


def test_junit_counts_the_tree_case_and_stays_well_formed() -> None:
    root = ET.fromstring(RENDERERS["junit"].render(left_card()))  # noqa: S314
    suite = next(s for s in root.iter("testsuite") if s.get("name") == "target-tree")
    assert suite.get("tests") == "1"
    assert suite.get("failures") == "0"
    assert int(root.get("tests", "0")) == sum(int(s.get("tests", "0")) for s in root)


def test_sarif_says_it_even_without_findings_and_stays_valid() -> None:
    log = json.loads(sarif.SarifRenderer().render(left_card(with_findings=False)))
    assert [e.message for e in sarif_validator().iter_errors(log)] == []
    notes = log["runs"][-1]["invocations"][0]["toolExecutionNotifications"]
    assert any("data.cfg" in n["message"]["text"] for n in notes)
