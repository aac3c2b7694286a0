"""scorecard.sarif within GitHub's size limit at full size: pure, but validating ten thousand
SARIF results takes seconds, so it is not in the unit tier."""

from __future__ import annotations

import json
from typing import Any

import pytest

from reports import sarif
from tests.reports.support import card, many_findings_gate, sarif_validator, with_gate

pytestmark = pytest.mark.integration


def _errors(log: dict[str, Any]) -> list[str]:
    return [f"{list(e.path)}: {e.message}" for e in sarif_validator().iter_errors(log)]


def test_full_size_sarif_of_ten_thousand_findings_fits_github() -> None:
    scorecard = with_gate(card("full"), many_findings_gate(10_000))
    text = sarif.SarifRenderer().render(scorecard)
    assert len(text.encode()) <= sarif.MAX_BYTES
    assert _errors(json.loads(text)) == []
