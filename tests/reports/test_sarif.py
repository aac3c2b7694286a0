"""scorecard.sarif: valid SARIF 2.1.0, one run per tool, within GitHub's limits."""

from __future__ import annotations

import json
from typing import Any

import pytest
from msgspec.structs import replace

from auditor.model import Finding
from auditor.sections import CountingSection
from reports import sarif
from tests.reports.support import CARDS, card, many_findings_gate, sarif_validator, with_gate

pytestmark = pytest.mark.unit


def _errors(log: dict[str, Any]) -> list[str]:
    return [f"{list(e.path)}: {e.message}" for e in sarif_validator().iter_errors(log)]


@pytest.mark.parametrize("name", CARDS)
def test_fixture_sarif_is_valid(name: str) -> None:
    log = json.loads(sarif.SarifRenderer().render(card(name)))
    assert _errors(log) == []
    assert log["version"] == "2.1.0"


def test_one_run_per_tool_and_a_result_per_finding() -> None:
    scorecard = card("full")
    log = json.loads(sarif.SarifRenderer().render(scorecard))
    runs = {r["tool"]["driver"]["name"]: r for r in log["runs"]}
    # Findings name their tool (bandit) or fall back to their gate's tool (ruff, mypy).
    assert set(runs) == {"ruff", "mypy", "bandit"}
    expected = sum(len(g.findings) for g in scorecard.gates)
    assert sum(len(r["results"]) for r in log["runs"]) == expected
    lint = next(g for g in scorecard.gates if g.id == "lint")
    assert len(runs["ruff"]["results"]) == len(lint.findings)
    first = next(f for f in lint.findings if f.line is not None)
    match = next(
        r for r in runs["ruff"]["results"]
        if r["locations"][0]["physicalLocation"]["region"]["startLine"] == first.line
        and r["ruleId"] == first.rule
    )
    location = match["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": first.path, "uriBaseId": "%SRCROOT%"}
    rules = runs["ruff"]["tool"]["driver"]["rules"]
    assert rules[match["ruleIndex"]]["id"] == first.rule
    assert runs["ruff"]["properties"]["truncated"] is False


def test_levels_follow_severity_and_lines_are_optional() -> None:
    gate = many_findings_gate(0)
    findings = [
        Finding("a.py", 3, "R1", "critical", "c"),
        Finding("b dir/b.py", None, "R2", "warning", "w"),
        Finding("", None, "R3", "info", "i"),
    ]
    scorecard = with_gate(card("partial"), replace(gate, findings=findings))
    log = sarif.build(scorecard)
    assert _errors(log) == []
    run = next(r for r in log["runs"] if r["tool"]["driver"]["name"] == "ruff")
    by_rule = {r["ruleId"]: r for r in run["results"]}
    assert [by_rule[k]["level"] for k in ("R1", "R2", "R3")] == ["error", "warning", "note"]
    assert by_rule["R1"]["locations"][0]["physicalLocation"]["region"] == {"startLine": 3}
    assert "region" not in by_rule["R2"]["locations"][0]["physicalLocation"]
    assert by_rule["R2"]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "b%20dir/b.py"
    )
    assert "locations" not in by_rule["R3"]


def test_results_beyond_the_per_run_limit_are_cut_and_said() -> None:
    # GitHub code scanning keeps at most 25,000 results per run; a smaller limit cuts the same way.
    assert sarif.MAX_RESULTS == 25_000
    limit = 1000
    scorecard = with_gate(card("partial"), many_findings_gate(limit + 1200))
    log = sarif.build(scorecard, max_results=limit)
    assert _errors(log) == []
    run = next(r for r in log["runs"] if r["tool"]["driver"]["name"] == "ruff")
    assert len(run["results"]) == limit
    assert run["properties"]["truncated"] is True
    assert run["properties"]["omittedResults"] == 1200
    note = run["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"]
    assert "1200 of 2200 results were left out" in note
    # The least severe go first: every critical finding is kept.
    assert sum(r["level"] == "error" for r in run["results"]) == sum(
        f.severity == "critical" for f in scorecard.gates[-1].findings
    )


def test_size_limit_cuts_results_until_the_file_fits() -> None:
    scorecard = with_gate(card("partial"), many_findings_gate(3000))
    limit = 300_000
    log = sarif.build(scorecard, max_bytes=limit)
    assert len(sarif.dump(log).encode()) <= limit
    run = next(r for r in log["runs"] if r["tool"]["driver"]["name"] == "ruff")
    assert 0 < len(run["results"]) < 3000
    assert run["properties"]["omittedResults"] == 3000 - len(run["results"])
    assert _errors(log) == []


def test_more_than_twenty_tools_are_folded_into_twenty_runs() -> None:
    scorecard = card("partial")
    for i in range(25):
        scorecard = with_gate(scorecard, many_findings_gate(2, gate_id=f"g{i}", tool=f"tool{i}"))
    log = sarif.build(scorecard)
    assert len(log["runs"]) == sarif.MAX_RUNS
    last = log["runs"][-1]
    note = last["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"]
    assert "more tools were left out" in note
    assert _errors(log) == []


def test_an_http_operation_is_a_logical_location_with_or_without_a_file() -> None:
    gate = replace(many_findings_gate(0, gate_id="api", tool="schemathesis"), findings=[
        Finding("app/main.py", 12, "not_a_server_error", "critical", "POST /items: ST101",
                extra={"operation": "POST /items", "curl": "curl -X POST ..."}),
        Finding("", None, "status_code_conformance", "warning", "GET /x: ST103",
                extra={"operation": "GET /x"}),
    ])
    log = sarif.build(with_gate(card("partial"), gate))
    assert _errors(log) == []
    run = next(r for r in log["runs"] if r["tool"]["driver"]["name"] == "schemathesis")
    located, unlocated = sorted(run["results"], key=lambda r: r["level"])
    assert located["locations"][0]["physicalLocation"]["region"] == {"startLine": 12}
    assert located["locations"][0]["logicalLocations"] == [
        {"name": "POST /items", "kind": "function"}
    ]
    assert unlocated["locations"] == [
        {"logicalLocations": [{"name": "GET /x", "kind": "function"}]}
    ]


def test_a_waived_finding_is_suppressed_and_has_no_baseline_state() -> None:
    gate = replace(many_findings_gate(0), findings=[
        Finding("a.py", 1, "F401", "warning", "kept", fingerprint="a", state="baselined"),
        Finding("b.py", 2, "F401", "warning", "waived", fingerprint="b", state="waived",
                justification="legacy (waived by core until 2027-01-01)"),
        Finding("c.py", 3, "F401", "warning", "new", fingerprint="c"),
    ])
    judged = replace(with_gate(card("partial"), gate),
                     counting=CountingSection(states={}))
    log = sarif.build(judged)
    assert _errors(log) == []
    run = next(r for r in log["runs"] if r["tool"]["driver"]["name"] == "ruff")
    by_message = {r["message"]["text"]: r for r in run["results"]}
    assert by_message["kept"]["baselineState"] == "unchanged"
    assert by_message["new"]["baselineState"] == "new"
    assert "baselineState" not in by_message["waived"]
    assert by_message["waived"]["suppressions"][0]["status"] == "accepted"
