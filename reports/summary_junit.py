"""The summary's junit.xml: a test suite per component, a test case per gate."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping

from auditor.model import Scorecard
from auditor.summary import ComponentRow, Summary
from reports import text


def _attrs(**values: str) -> dict[str, str]:
    return {k: text.clean(v) for k, v in values.items()}


def _suite(root: ET.Element, row: ComponentRow, index: int) -> dict[str, int]:
    suite = ET.SubElement(
        root,
        "testsuite",
        _attrs(
            name=row.name,
            id=str(index),
            package=f"audit.{row.path}",
            time=f"{row.duration_s or 0:.3f}",
        ),
    )
    tally = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    if not row.gates:
        case = ET.SubElement(
            suite, "testcase", _attrs(classname=f"audit.{row.name}", name=row.name, time="0")
        )
        reason = row.reason or row.status
        if row.status in ("missing", "error"):
            ET.SubElement(case, "error", _attrs(message=reason, type=row.status))
            tally["errors"] += 1
        else:
            ET.SubElement(case, "skipped", _attrs(message=reason))
            tally["skipped"] += 1
        tally["tests"] += 1
    for gate in row.gates:
        case = ET.SubElement(
            suite,
            "testcase",
            _attrs(
                classname=f"audit.{row.name}",
                name=f"{gate.id}: {gate.title or gate.id}",
                time="0",
            ),
        )
        tally["tests"] += 1
        if gate.status == "failed":
            message = f"{gate.id} failed: {', '.join(gate.failing) or gate.reason or ''}"
            ET.SubElement(case, "failure", _attrs(message=message, type="threshold"))
            tally["failures"] += 1
        elif gate.status == "error":
            message = f"could not measure: {gate.reason or 'no reason given'}"
            ET.SubElement(case, "error", _attrs(message=message, type="could-not-measure"))
            tally["errors"] += 1
        elif gate.status == "skipped":
            ET.SubElement(case, "skipped", _attrs(message=gate.reason or "skipped"))
            tally["skipped"] += 1
    for key, count in tally.items():
        suite.set(key, str(count))
    return tally


class SummaryJunitRenderer:
    format_id = "junit"
    filename = "junit.xml"

    def render(self, summary: Summary, cards: Mapping[str, Scorecard]) -> str:
        root = ET.Element(
            "testsuites",
            _attrs(
                name=f"audit {summary.repository.name}",
                time=f"{summary.duration_s:.3f}",
            ),
        )
        totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        for index, row in enumerate(summary.components):
            for key, value in _suite(root, row, index).items():
                totals[key] += value
        for key, value in totals.items():
            root.set(key, str(value))
        ET.indent(root)
        body = ET.tostring(root, encoding="unicode")
        return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'
