"""scorecard.sarif within GitHub's limits at full size: pure, but validating tens of thousands of
SARIF results takes seconds, so these are not in the unit tier."""

from __future__ import annotations

import json
from typing import Any

import pytest

from reports import sarif
from tests.reports.support import card, many_findings_gate, sarif_validator, with_gate

pytestmark = pytest.mark.integration


def _errors(log: dict[str, Any]) -> list[str]:
    return [f"{list(e.path)}: {e.message}" for e in sarif_validator().iter_errors(log)]


def test_results_beyond_the_per_run_limit_are_cut_and_said() -> None:
    scorecard = with_gate(card("partial"), many_findings_gate(sarif.MAX_RESULTS + 1200))
    log = sarif.build(scorecard)
    assert _errors(log) == []
    run = next(r for r in log["runs"] if r["tool"]["driver"]["name"] == "ruff")
    assert len(run["results"]) == sarif.MAX_RESULTS
    assert run["properties"]["truncated"] is True
    assert run["properties"]["omittedResults"] == 1200
    note = run["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"]
    assert "1200 of 26200 results were left out" in note
    # The least severe go first: every critical finding is kept.
    assert sum(r["level"] == "error" for r in run["results"]) == sum(
        f.severity == "critical" for f in scorecard.gates[-1].findings
    )


def test_full_size_sarif_of_ten_thousand_findings_fits_github() -> None:
    scorecard = with_gate(card("full"), many_findings_gate(10_000))
    text = sarif.SarifRenderer().render(scorecard)
    assert len(text.encode()) <= sarif.MAX_BYTES
    assert _errors(json.loads(text)) == []
