"""junit.xml read back by junitparser, a JUnit reader of the kind CI report tools use."""

from __future__ import annotations

from pathlib import Path

import pytest
from junitparser import Error, Failure, JUnitXml, Skipped

from auditor.model import Details, GateResult, ToolRun
from reports.junit import JunitRenderer
from tests.reports.support import card, with_gate

pytestmark = pytest.mark.unit


def _read(tmp_path: Path, name: str, scorecard_name: str = "") -> JUnitXml:
    scorecard = card(scorecard_name or name)
    path = tmp_path / f"{name}.xml"
    path.write_text(JunitRenderer().render(scorecard), encoding="utf-8")
    return JUnitXml.fromfile(str(path))


def _outcomes(xml: JUnitXml) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for suite in xml:
        cases: dict[str, str] = {}
        for case in suite:
            kinds = [type(r).__name__.lower() for r in case.result]
            cases[case.name] = kinds[0] if kinds else "passed"
        out[suite.name] = cases
    return out


def test_a_suite_per_gate_and_a_case_per_condition(tmp_path: Path) -> None:
    scorecard = card("full")
    xml = _read(tmp_path, "full")
    outcomes = _outcomes(xml)
    assert list(outcomes) == [g.id for g in scorecard.gates]
    for gate in scorecard.gates:
        expected = {}
        for c in gate.conditions:
            # A failed non-blocking condition passes: it must not fail the pipeline.
            kind = "failure" if c.status == "failed" and c.blocking else "passed"
            expected[f"{c.id}: {c.title}"] = kind
        assert outcomes[gate.id] == expected
    failures = sum(
        c.status == "failed" and c.blocking for g in scorecard.gates for c in g.conditions
    )
    assert xml.failures == failures
    assert xml.tests == sum(len(g.conditions) for g in scorecard.gates)
    assert xml.errors == 0


def test_failure_message_names_value_and_target(tmp_path: Path) -> None:
    xml = _read(tmp_path, "full")
    suite = next(s for s in xml if s.name == "coverage")
    case = next(c for c in suite if c.name.startswith("line_coverage"))
    failure = case.result[0]
    assert isinstance(failure, Failure)
    assert failure.message == "Line coverage: 73.56% (target >= 80%, 6.44 points short)"


def test_errored_gate_is_an_error_and_skipped_gate_is_skipped(tmp_path: Path) -> None:
    scorecard = card("partial")
    xml = _read(tmp_path, "partial")
    suites = {s.name: s for s in xml}
    load = next(iter(suites["load"]))
    assert isinstance(load.result[0], Error)
    load_gate = next(g for g in scorecard.gates if g.id == "load")
    assert load.result[0].message == f"could not measure: {load_gate.reason}"
    # The log tail travels with the error, its terminal colour codes removed.
    assert "KeyError: 'DATABASE_URL'" in (load.result[0].text or "")
    assert "\x1b" not in (load.result[0].text or "")
    skipped = next(iter(suites["type"]))
    assert isinstance(skipped.result[0], Skipped)
    assert xml.errors == 2
    critical = next(c for c in suites["coverage"] if c.name.startswith("critical_coverage"))
    assert isinstance(critical.result[0], Skipped)


def test_control_characters_and_markup_stay_well_formed(tmp_path: Path) -> None:
    gate = GateResult(
        id="weird", title='A <gate> & "quotes"', status="error", score=0.0, duration_s=0.5,
        reason="crashed with \x00 NUL and \x1b[31mred\x1b[0m and ]]> end",
        tool=ToolRun(name="t", version=""), conditions=[], findings=[],
        details=Details(log_tail="line\x07bell\n<tag attr='x'>&amp;"),
    )
    path = tmp_path / "weird.xml"
    path.write_text(JunitRenderer().render(with_gate(card("partial"), gate)), encoding="utf-8")
    xml = JUnitXml.fromfile(str(path))
    case = next(iter(next(s for s in xml if s.name == "weird")))
    assert "]]> end" in case.result[0].message
    assert "<tag attr='x'>&amp;" in (case.result[0].text or "")
