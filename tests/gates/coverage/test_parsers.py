"""Every reader of what pytest, coverage.py and the gate's own probes write is typed: a field the
tool always writes that is missing, or holds the wrong type, is an error naming it, never a 0."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from coverage.results import display_covered

from auditor.errors import GateError
from gates.coverage.coverage_json import decode_report
from gates.coverage.outcomes import parse_outcomes
from gates.coverage.parse import coverage_totals, parse_coverage_json, parse_junit
from gates.coverage.reuse import junit_counts, measured_files, unreadable_files
from gates.coverage.run import read_probe
from tests.helpers import FIXTURES

pytestmark = pytest.mark.unit

BRANCH_REPORT = FIXTURES / "coverage" / "critical_branch.json"


def branch_report() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(BRANCH_REPORT.read_text(encoding="utf-8"))
    return data


def line_report() -> dict[str, Any]:
    """The saved report as coverage writes it without branch measurement."""
    data = branch_report()
    data["meta"]["branch_coverage"] = False
    branch_keys = ("num_branches", "num_partial_branches", "covered_branches",
                   "missing_branches", "percent_branches_covered",
                   "percent_branches_covered_display")
    for summary in [data["totals"], *(f["summary"] for f in data["files"].values())]:
        for key in branch_keys:
            summary.pop(key, None)
    for entry in data["files"].values():
        entry.pop("executed_branches")
        entry.pop("missing_branches")
    return data


# --- coverage's JSON report ------------------------------------------------------------------


@pytest.mark.parametrize(("where", "key", "named"), [
    (("totals",), "num_statements", "`num_statements` - at `$.totals`"),
    (("totals",), "missing_lines", "`missing_lines` - at `$.totals`"),
    (("totals",), "percent_covered", "`percent_covered` - at `$.totals`"),
    # Branch counts are written with branch measurement (coverage 5.1 and later); without them
    # the old reader counted 0 missing branches, a 100% branch figure.
    (("totals",), "missing_branches", "`missing_branches` - at `$.totals`"),
    (("totals",), "num_branches", "`num_branches` - at `$.totals`"),
    (("files", "shop/billing.py", "summary"), "missing_branches",
     "`missing_branches` - at `$.files[...].summary`"),
    (("files", "shop/billing.py"), "executed_lines", "`executed_lines` - at `$.files[...]`"),
    (("files", "shop/billing.py"), "missing_lines", "`missing_lines` - at `$.files[...]`"),
    (("meta",), "branch_coverage", "`branch_coverage` - at `$.meta`"),
    (("meta",), "version", "`version` - at `$.meta`"),
    ((), "totals", "`totals`"),
    ((), "files", "`files`"),
    ((), "meta", "`meta`"),
])
def test_coverage_report_missing_a_field_is_an_error_naming_it(
    tmp_path: Path, where: tuple[str, ...], key: str, named: str
) -> None:
    data = branch_report()
    node = data
    for step in where:
        node = node[step]
    del node[key]
    with pytest.raises(GateError, match="coverage's JSON report") as caught:
        parse_coverage_json(data, tmp_path)
    assert f"Object missing required field {named}" in str(caught.value)


@pytest.mark.parametrize(("where", "key", "value", "named"), [
    (("totals",), "num_statements", "23",
     "Expected `int`, got `str` - at `$.totals.num_statements`"),
    (("totals",), "missing_lines", 4.0,
     "Expected `int`, got `float` - at `$.totals.missing_lines`"),
    (("totals",), "num_branches", None,
     "Expected `int`, got `null` - at `$.totals.num_branches`"),
    (("totals",), "percent_covered", "52.9",
     "Expected `float`, got `str` - at `$.totals.percent_covered`"),
    (("files", "shop/billing.py"), "missing_lines", [6, "11"],
     "Expected `int`, got `str` - at `$.files[...].missing_lines[1]`"),
    (("files", "shop/billing.py"), "missing_branches", [[3, 5, 7]],
     "Expected `array` of length 2, got 3 - at `$.files[...].missing_branches[0]`"),
    (("meta",), "branch_coverage", "yes",
     "Expected `bool`, got `str` - at `$.meta.branch_coverage`"),
])
def test_coverage_report_with_a_wrong_type_is_an_error_naming_it(
    tmp_path: Path, where: tuple[str, ...], key: str, value: object, named: str
) -> None:
    data = branch_report()
    node = data
    for step in where:
        node = node[step]
    node[key] = value
    with pytest.raises(GateError) as caught:
        parse_coverage_json(data, tmp_path)
    assert named in str(caught.value)


def test_coverage_report_without_branches_needs_no_branch_counts(tmp_path: Path) -> None:
    data = line_report()
    totals = parse_coverage_json(data, tmp_path)
    assert (totals.branch, totals.branches, totals.missing_branches) == (False, None, None)
    assert totals.branch_percent is None
    assert totals.percent == float(display_covered(data["totals"]["percent_covered"], 2))
    billing = next(f for f in totals.files if f.path == "shop/billing.py")
    assert (billing.branches, billing.missing_branches) == (None, None)
    assert billing.missing_lines == "6, 11-13"


def test_fields_older_coverage_versions_did_not_write_may_be_absent(tmp_path: Path) -> None:
    """`percent_covered_display` came in coverage 5.6, a file's `missing_branches` arcs in 6.5:
    without them the total keeps no display text and Missing shows only the lines."""
    data = branch_report()
    del data["totals"]["percent_covered_display"]
    for entry in data["files"].values():
        del entry["missing_branches"]
    totals = parse_coverage_json(data, tmp_path)
    assert totals.display is None
    billing = next(f for f in totals.files if f.path == "shop/billing.py")
    assert billing.missing_lines == "6, 11-13"
    assert billing.missing_branches == data["files"]["shop/billing.py"]["summary"][
        "missing_branches"]


def test_coverage_report_decoded_from_its_bytes_gives_the_same_figures(tmp_path: Path) -> None:
    raw = BRANCH_REPORT.read_bytes()
    from_bytes = coverage_totals(decode_report(raw), tmp_path)
    assert from_bytes == parse_coverage_json(json.loads(raw), tmp_path)
    assert from_bytes.display == branch_report()["totals"]["percent_covered_display"]

    with pytest.raises(GateError, match=r"JSON report could not be read: .*truncated"):
        decode_report(b'{"totals": ')
    broken = copy.deepcopy(branch_report())
    del broken["totals"]["num_statements"]
    with pytest.raises(GateError, match=r"num_statements` - at `\$\.totals`"):
        decode_report(json.dumps(broken).encode())


# --- pytest's JUnit XML ----------------------------------------------------------------------


def test_junit_failure_without_a_name_is_an_error(tmp_path: Path) -> None:
    """`name` is required of a <testcase> (junit-10.xsd); classname and message are optional."""
    junit = tmp_path / "junit.xml"
    junit.write_text(
        '<testsuite name="pytest" tests="1" failures="1" errors="0">'
        '<testcase classname="tests.test_a"><failure message="boom"/></testcase></testsuite>',
        encoding="utf-8",
    )
    with pytest.raises(GateError, match="<testcase> without its required `name`"):
        parse_junit(junit)
    junit.write_text(
        '<testsuite name="pytest" tests="1" failures="1" errors="0">'
        '<testcase name="test_b"><failure/></testcase></testsuite>',
        encoding="utf-8",
    )
    [failure] = parse_junit(junit).failures
    assert (failure.classname, failure.name, failure.message) == ("", "test_b", "")


def test_reused_junit_files_keep_their_xfailed_tests(tmp_path: Path) -> None:
    cases = {
        "a.xml": '<testcase classname="t" name="ok"/>'
                 '<testcase classname="t" name="xf"><skipped type="pytest.xfail"/></testcase>',
        "b.xml": '<testcase classname="t" name="bad"><failure message="no"/></testcase>'
                 '<testcase classname="t" name="skip"><skipped type="pytest.skip"/></testcase>',
    }
    for name, body in cases.items():
        (tmp_path / name).write_text(f"<testsuites><testsuite>{body}</testsuite></testsuites>",
                                     encoding="utf-8")
    counts = junit_counts([str(tmp_path / name) for name in cases])
    assert counts is not None
    outcomes = (counts.collected, counts.passed, counts.failed, counts.errors, counts.skipped,
                counts.xfailed, counts.xpassed)
    assert outcomes == (4, 1, 1, 0, 1, 1, 0)
    assert junit_counts([]) is None


# --- the outcome counter's file --------------------------------------------------------------

SAMPLE = {"category": "DeprecationWarning", "message": "old api",
          "filename": "/elsewhere/tests/test_app.py", "lineno": 7}
OUTCOMES = {"xpassed": 1, "warnings": 2, "samples": [SAMPLE]}


def test_outcome_counts_are_read_as_the_plugin_writes_them(tmp_path: Path) -> None:
    sample = {**SAMPLE, "filename": str(tmp_path / "tests/test_app.py")}
    counts = parse_outcomes(json.dumps({**OUTCOMES, "samples": [sample]}).encode(), tmp_path)
    assert (counts.xpassed, counts.warnings) == (1, 2)
    assert counts.samples == ["DeprecationWarning: old api (tests/test_app.py:7)"]
    no_line = {**sample, "lineno": None}
    counts = parse_outcomes(json.dumps({**OUTCOMES, "samples": [no_line]}).encode(), tmp_path)
    assert counts.samples == ["DeprecationWarning: old api (tests/test_app.py)"]


@pytest.mark.parametrize(("change", "named"), [
    ({"xpassed": None}, "Expected `int`, got `null` - at `$.xpassed`"),
    ({"warnings": -1}, "Expected `int` >= 0 - at `$.warnings`"),
    ({"warnings": "2"}, "Expected `int`, got `str` - at `$.warnings`"),
    ({"samples": [{"category": "W", "message": "m", "filename": "f", "lineno": "7"}]},
     "Expected `int | null`, got `str` - at `$.samples[0].lineno`"),
    ({"samples": [{"category": "W", "message": "m", "filename": "f"}]},
     "Object missing required field `lineno` - at `$.samples[0]`"),
])
def test_outcome_counts_of_the_wrong_type_are_an_error_naming_them(
    tmp_path: Path, change: dict[str, object], named: str
) -> None:
    with pytest.raises(GateError, match="outcome counter") as caught:
        parse_outcomes(json.dumps({**OUTCOMES, **change}).encode(), tmp_path)
    assert named in str(caught.value)


@pytest.mark.parametrize("key", ["xpassed", "warnings", "samples"])
def test_outcome_counts_missing_a_key_are_an_error_naming_it(tmp_path: Path, key: str) -> None:
    data = {k: v for k, v in OUTCOMES.items() if k != key}
    with pytest.raises(GateError, match=f"Object missing required field `{key}`"):
        parse_outcomes(json.dumps(data).encode(), tmp_path)


# --- the gate's probes of the target's interpreter -------------------------------------------

PROBED = {"python": "3.12.1", "pytest": "8.3.2", "coverage": None, "pytest_cov": False,
          "xdist": True}


def test_the_interpreter_probe_is_read_typed(tmp_path: Path) -> None:
    found = read_probe("a line sitecustomize printed\n" + json.dumps(PROBED) + "\n", tmp_path)
    assert (found.python, found.pytest, found.coverage, found.xdist) == (
        "3.12.1", "8.3.2", None, True)
    for stdout, named in [
        (json.dumps({k: v for k, v in PROBED.items() if k != "xdist"}),
         "Object missing required field `xdist`"),
        (json.dumps({**PROBED, "pytest_cov": "no"}),
         "Expected `bool`, got `str` - at `$.pytest_cov`"),
        ("", "truncated"),
    ]:
        with pytest.raises(GateError, match="unreadable version check") as caught:
            read_probe(stdout, tmp_path)
        assert named in str(caught.value)


def test_the_data_file_probes_are_read_typed() -> None:
    assert unreadable_files('{"unreadable": {"/d/.coverage": "DataError: no"}}') == {
        "/d/.coverage": "DataError: no"}
    assert measured_files('["/src/a.py", "/src/b.py"]') == [Path("/src/a.py"), Path("/src/b.py")]
    for call, stdout, named in [
        (unreadable_files, '{"no_coverage": "No module named coverage"}',
         "Object missing required field `unreadable`"),
        (unreadable_files, '{"unreadable": {"/d/.coverage": 3}}',
         "Expected `str`, got `int` - at `$.unreadable[...]`"),
        (measured_files, '["/src/a.py", null]', "Expected `str`, got `null` - at `$[1]`"),
        (measured_files, "", "truncated"),
    ]:
        with pytest.raises(GateError, match="printed no readable answer") as caught:
            call(stdout)
        assert named in str(caught.value)
