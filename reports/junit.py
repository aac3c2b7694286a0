"""junit.xml: a test suite per gate, a test case per condition, for CI test-report readers.

A failed blocking condition is a <failure>; a gate that could not measure is an <error>; a
skipped gate or an unmeasured condition is <skipped>. A failed non-blocking condition passes
(it must not fail the pipeline) and says so in its <system-out>.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from auditor.model import Condition, GateResult, Scorecard
from reports import summary, text
from reports.viewkit import tool_text

LOG_LINES = 200
LOG_CHARS = 20000


def _attrs(**values: str) -> dict[str, str]:
    return {k: text.clean(v) for k, v in values.items()}


def _condition_case(suite: ET.Element, gate: GateResult, condition: Condition) -> str | None:
    """Add one condition's test case; returns the kind of its outcome, None when it passed."""
    case = ET.SubElement(suite, "testcase", _attrs(
        classname=f"audit.{gate.id}", name=f"{condition.id}: {condition.title}", time="0",
    ))
    measured = text.with_unit(condition.value, condition.unit)
    target = text.target_ascii(condition)
    gap = text.gap(condition)
    summary = f"{condition.title}: {measured} (target {target}{', ' + gap if gap else ''})"
    if condition.population is not None:
        summary += f" over {condition.population}"
    if condition.status == "inconclusive" and condition.blocking:
        summary = f"{condition.title}: inconclusive: {condition.reason or ''}"
    if condition.status in ("failed", "inconclusive") and condition.blocking:
        failure = ET.SubElement(case, "failure", _attrs(message=summary, type="threshold"))
        failure.text = text.clean(
            f"{summary}\ngate: {gate.title or gate.id}\ncondition: {condition.id}\nblocking: yes"
        )
        return "failure"
    if condition.status in ("skipped", "error"):
        why = f": {condition.reason}" if condition.reason else ""
        ET.SubElement(case, "skipped", _attrs(message=f"{condition.title}: not measured{why}"))
        return "skipped"
    out = ET.SubElement(case, "system-out")
    out.text = text.clean(
        summary + ("\nnon-blocking: failed, reported without failing the run"
                   if condition.status == "failed" else "")
    )
    return None


def _suite(root: ET.Element, gate: GateResult, index: int, timestamp: str) -> dict[str, int]:
    suite = ET.SubElement(root, "testsuite", _attrs(
        name=gate.id, id=str(index), package="audit", timestamp=timestamp,
        time=f"{gate.duration_s:.3f}",
    ))
    props = ET.SubElement(suite, "properties")
    tool = tool_text(gate)
    for name, value in (("title", gate.title or gate.id), ("status", gate.status),
                        ("score", text.number(gate.score)), ("tool", tool),
                        ("findings", str(len(gate.findings)))):
        ET.SubElement(props, "property", _attrs(name=name, value=value))
    tally = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    if gate.status in ("error", "skipped"):
        case = ET.SubElement(suite, "testcase", _attrs(
            classname=f"audit.{gate.id}", name=f"{gate.id}: {gate.title or gate.id}",
            time=f"{gate.duration_s:.3f}",
        ))
        reason = gate.reason or "no reason given"
        if gate.status == "error":
            error = ET.SubElement(case, "error", _attrs(
                message=f"could not measure: {reason}", type="could-not-measure",
            ))
            log = text.tail(gate.details.log_tail or "", LOG_LINES, LOG_CHARS)[0]
            error.text = text.clean(reason + (f"\n\n{log}" if log else ""))
            tally["errors"] = 1
        else:
            ET.SubElement(case, "skipped", _attrs(message=reason))
            tally["skipped"] = 1
        tally["tests"] = 1
    for condition in gate.conditions:
        outcome = _condition_case(suite, gate, condition)
        tally["tests"] += 1
        if outcome == "failure":
            tally["failures"] += 1
        elif outcome == "skipped":
            tally["skipped"] += 1
    for key, count in tally.items():
        suite.set(key, str(count))
    return tally


def _tree_suite(root: ET.Element, left: list[str], index: int) -> int:
    """A suite saying what the audit left in the target: a warning, so the case passes."""
    suite = ET.SubElement(root, "testsuite", _attrs(
        name="target-tree", id=str(index), package="audit", tests="1", failures="0",
        errors="0", skipped="0",
    ))
    case = ET.SubElement(suite, "testcase", _attrs(
        classname="audit.target-tree", name="the audit leaves the target's tree as found",
        time="0",
    ))
    out = ET.SubElement(case, "system-out")
    out.text = text.clean("warning: " + "\nwarning: ".join(left))
    return 1


class JunitRenderer:
    format_id = "junit"
    filename = "junit.xml"

    def render(self, scorecard: Scorecard) -> str:
        name = scorecard.target.name or "target"
        root = ET.Element("testsuites", _attrs(
            name=f"audit {name}", time=f"{scorecard.duration_s:.3f}",
        ))
        totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        for index, gate in enumerate(scorecard.gates):
            for key, value in _suite(root, gate, index, scorecard.started_at.rstrip("Z")).items():
                totals[key] += value
        left = summary.left_in_target(scorecard)
        if left:
            totals["tests"] += _tree_suite(root, left, len(scorecard.gates))
        for key, value in totals.items():
            root.set(key, str(value))
        ET.indent(root)
        body = ET.tostring(root, encoding="unicode")
        return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'
