"""scorecard.sarif: SARIF 2.1.0, one run per tool, one result per finding.

It stays within what GitHub code scanning accepts (20 runs per file, 25,000 results per run,
10 MB): beyond that, the least severe results are cut and the run says how many, in its
properties and in a notification of its invocation. scorecard.json keeps them all.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from auditor.model import Finding, Scorecard
from auditor.toolinfo import SOURCE_TEXT
from reports import summary, text

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
MAX_RUNS = 20
MAX_RESULTS = 25_000
MAX_BYTES = 10_000_000
MESSAGE_LIMIT = 1000
LEVELS = {"critical": "error", "warning": "warning", "info": "note"}
SEVERITY_RANK = {"critical": 0, "warning": 1, "info": 2}
FINGERPRINT_KEY = "auditFingerprint/v1"
BASELINE_STATES = {"new": "new", "baselined": "unchanged", "old": "unchanged"}
"""SARIF's `baselineState` speaks of the baseline: a waived finding carries its `suppressions`
entry only."""


@dataclass
class ToolRun:
    """The findings of one tool, with the gates that ran it."""

    tool: str
    version: str
    gates: list[str] = field(default_factory=list)
    source: str = ""
    """Where the tool came from (the target's environment, bundled), when the scorecard says."""
    findings: list[Finding] = field(default_factory=list)


def group_by_tool(card: Scorecard) -> list[ToolRun]:
    """Findings grouped by the tool that reported them (the gate's tool when unnamed)."""
    runs: dict[str, ToolRun] = {}
    for gate in card.gates:
        gate_tool = gate.tool.name or gate.id
        resolved = {t.name: t for t in gate.details.tools}
        for finding in gate.findings:
            name = finding.tool or gate_tool
            known = resolved.get(name)
            version = gate.tool.version if name == gate_tool else ""
            run = runs.setdefault(name, ToolRun(
                tool=name,
                version=known.version if known else version,
                source=SOURCE_TEXT.get(known.source, "") if known else "",
            ))
            if gate.id not in run.gates:
                run.gates.append(gate.id)
            run.findings.append(finding)
    return list(runs.values())


def _result(finding: Finding, rule_index: int, judged: bool) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": finding.rule or "unknown",
        "ruleIndex": rule_index,
        "level": LEVELS.get(finding.severity, "warning"),
        "message": {"text": text.shorten(text.clean(finding.message), MESSAGE_LIMIT) or "-"},
    }
    if finding.fingerprint:
        result["partialFingerprints"] = {FINGERPRINT_KEY: finding.fingerprint}
    if judged and finding.state in BASELINE_STATES:
        # Only a run held against a baseline, waivers or a change knows what is new.
        result["baselineState"] = BASELINE_STATES[finding.state]
    if finding.state == "waived":
        result["suppressions"] = [{
            "kind": "external",
            "status": "accepted",
            "justification": text.shorten(text.clean(finding.justification), MESSAGE_LIMIT),
        }]
    if finding.path:
        location: dict[str, Any] = {
            "artifactLocation": {"uri": quote(finding.path, safe="/"), "uriBaseId": "%SRCROOT%"},
        }
        if finding.line is not None and finding.line >= 1:
            location["region"] = {"startLine": finding.line}
        result["locations"] = [{"physicalLocation": location}]
    operation = finding.extra.get("operation")
    if isinstance(operation, str) and operation:
        # An HTTP operation (`POST /items`): where the api gate found it, with or without a file.
        logical = {"name": operation, "kind": "function"}
        if "locations" in result:
            result["locations"][0]["logicalLocations"] = [logical]
        else:
            result["locations"] = [{"logicalLocations": [logical]}]
    if finding.extra:
        result["properties"] = dict(finding.extra)
    return result


def _run(run: ToolRun, keep: int, notes: list[str], judged: bool) -> dict[str, Any]:
    ordered = sorted(
        run.findings,
        key=lambda f: (SEVERITY_RANK.get(f.severity, 3), f.path, f.line or 0, f.rule),
    )
    kept = ordered[:keep]
    cut = len(ordered) - len(kept)
    rules: dict[str, int] = {}
    results = [
        _result(f, rules.setdefault(f.rule or "unknown", len(rules)), judged) for f in kept
    ]
    driver: dict[str, Any] = {
        "name": run.tool,
        "rules": [{"id": rule} for rule in rules],
    }
    if run.version:
        driver["version"] = run.version
    if run.source:
        driver["properties"] = {"source": run.source}
    messages = list(notes)
    if cut:
        messages.insert(0, (
            f"{cut} of {len(ordered)} results were left out to stay within code-scanning "
            f"limits (the least severe first); scorecard.json holds them all"
        ))
    invocation: dict[str, Any] = {"executionSuccessful": True}
    if messages:
        invocation["toolExecutionNotifications"] = [
            {"level": "warning", "message": {"text": m}} for m in messages
        ]
    return {
        "tool": {"driver": driver},
        "automationDetails": {"id": f"audit/{run.tool}/"},
        "invocations": [invocation],
        "results": results,
        "properties": {
            "gates": run.gates,
            "totalResults": len(ordered),
            "truncated": cut > 0,
            "omittedResults": cut,
        },
    }


def dump(log: dict[str, Any], *, indent: bool = False) -> str:
    if indent:
        return json.dumps(log, indent=1, ensure_ascii=False) + "\n"
    return json.dumps(log, separators=(",", ":"), ensure_ascii=False) + "\n"


def build(card: Scorecard, max_results: int = MAX_RESULTS,
          max_bytes: int = MAX_BYTES) -> dict[str, Any]:
    """The SARIF log as a dict, cut to the limits given."""
    runs = group_by_tool(card)
    notes = summary.left_in_target(card)
    if notes and not runs:
        runs.append(ToolRun(tool="audit", version=card.auditor_version))
    if len(runs) > MAX_RUNS:
        dropped = runs[MAX_RUNS - 1:]
        runs = runs[:MAX_RUNS - 1]
        notes.append(
            f"{len(dropped)} more tools were left out (at most {MAX_RUNS} runs): "
            + ", ".join(r.tool for r in dropped)
        )
        runs.append(ToolRun(tool="audit", version=card.auditor_version))
    caps = [min(len(r.findings), max_results) for r in runs]
    while True:
        log = {
            "$schema": SCHEMA_URI,
            "version": "2.1.0",
            "runs": [
                _run(r, cap, notes if i == len(runs) - 1 else [], card.counting is not None)
                for i, (r, cap) in enumerate(zip(runs, caps, strict=True))
            ],
        }
        size = len(dump(log).encode("utf-8"))
        if size <= max_bytes or not any(caps):
            return log
        # Shrink the biggest run by the share of bytes over the limit (at least 10%).
        biggest = max(range(len(caps)), key=lambda i: caps[i])
        ratio = min(0.9, max_bytes / size)
        caps[biggest] = int(caps[biggest] * ratio)


class SarifRenderer:
    format_id = "sarif"
    filename = "scorecard.sarif"

    def render(self, scorecard: Scorecard) -> str:
        log = build(scorecard)
        readable = dump(log, indent=True)
        # Indented when that still fits; the limit is met by the compact form in any case.
        return readable if len(readable.encode("utf-8")) <= MAX_BYTES else dump(log)
