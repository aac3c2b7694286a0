"""bandit's and pip-audit's JSON reports, OSV records and OSV queries decoded into Structs:
real output read, damaged output refused naming the field (never a 0, never a skipped check)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from auditor.errors import GateError
from gates.security import bandit_run, pip_audit_run
from gates.security.osv_db import OsvDatabase, load_record
from gates.security.osv_index import IndexedOsvDatabase
from gates.tools import NotAReportError
from tests.helpers import FIXTURES

pytestmark = pytest.mark.unit

# `bandit -f json -q` of bandit 1.9.4 on two files, one it could not parse (trimmed: `code`,
# `issue_cwe`, `more_info` and most metrics left out).
BANDIT = """\
{
  "errors": [{"filename": "./app/legacy.py", "reason": "syntax error while parsing AST from file"}],
  "generated_at": "2026-01-07T00:50:45Z",
  "metrics": {
    "./app/runner.py": {"SEVERITY.HIGH": 1, "SEVERITY.LOW": 1, "loc": 3, "nosec": 1,
                        "skipped_tests": 0},
    "_totals": {"SEVERITY.HIGH": 1, "SEVERITY.LOW": 1, "loc": 3, "nosec": 1, "skipped_tests": 0}
  },
  "results": [
    {"col_offset": 0, "end_col_offset": 32, "filename": "./app/runner.py",
     "issue_confidence": "HIGH", "issue_severity": "HIGH",
     "issue_text": "subprocess call with shell=True identified, security issue.",
     "line_number": 3, "line_range": [3], "test_id": "B602",
     "test_name": "subprocess_popen_with_shell_equals_true"},
    {"col_offset": 0, "end_col_offset": 17, "filename": "./app/runner.py",
     "issue_confidence": "HIGH", "issue_severity": "LOW",
     "issue_text": "Consider possible security implications associated with the subprocess module.",
     "line_number": 1, "line_range": [1], "test_id": "B404", "test_name": "blacklist"}
  ]
}
"""

# `pip-audit -f json --desc on --aliases on` of pip-audit 2.10 (descriptions shortened).
PIP_AUDIT = """\
{"dependencies": [
  {"name": "requests", "version": "2.19.0", "vulns": [
    {"id": "PYSEC-2018-28", "fix_versions": ["2.20.0"],
     "aliases": ["GHSA-x84v-xcm2-53pg", "CVE-2018-18074"], "description": "Requests before 2.20"}
  ]},
  {"name": "pip", "version": "23.2.1", "vulns": [
    {"id": "PYSEC-2023-228", "fix_versions": ["23.3"], "aliases": ["CVE-2023-5752"],
     "description": "When installing a package from a Mercurial VCS URL"}
  ]},
  {"name": "idna", "version": "2.7", "vulns": []},
  {"name": "myproject", "skip_reason": "distribution marked as editable"}
], "fixes": []}
"""


def test_bandits_report_is_read() -> None:
    report = bandit_run.parse(BANDIT, "HIGH", "MEDIUM")
    assert [(f.path, f.line, f.rule, f.severity) for f in report.findings] == [
        ("app/runner.py", 3, "B602", "critical"),
        ("app/runner.py", 1, "B404", "info"),
    ]
    assert report.counts == {"LOW": 1, "MEDIUM": 0, "HIGH": 1}
    assert report.critical == 1
    assert report.nosec == 1
    assert [(e.path, e.reason) for e in report.errors] == [
        ("app/legacy.py", "syntax error while parsing AST from file")
    ]


def changed(text: str, change: Any) -> str:
    data = json.loads(text)
    change(data)
    return json.dumps(data)


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda r: r["metrics"]["_totals"].pop("nosec"), "`nosec` - at `$.metrics._totals`"),
        (lambda r: r["metrics"].pop("_totals"), "`_totals` - at `$.metrics`"),
        (lambda r: r.pop("errors"), "missing required field `errors`"),
        (lambda r: r["results"][0].update(line_number="3"), "at `$.results[0].line_number`"),
        (lambda r: r["results"][1].update(issue_severity="SEVERE"),
         "at `$.results[1].issue_severity`"),
        (lambda r: r["results"][0].pop("test_id"), "`test_id` - at `$.results[0]`"),
        (lambda r: r["errors"][0].pop("reason"), "`reason` - at `$.errors[0]`"),
    ],
)
def test_a_damaged_bandit_report_is_an_error_naming_the_field(change: Any, named: str) -> None:
    with pytest.raises(GateError, match="not the one bandit writes") as err:
        bandit_run.parse(changed(BANDIT, change), "HIGH", "MEDIUM")
    assert named in str(err.value)


@pytest.mark.parametrize("output", ["", "<<< not json", "[1, 2, 3]"])
def test_output_that_is_no_json_object_is_not_a_report(output: str) -> None:
    with pytest.raises(NotAReportError, match="bandit's output is not a JSON object"):
        bandit_run.parse(output, "HIGH", "MEDIUM")
    with pytest.raises(NotAReportError, match="pip-audit's output is not a JSON object"):
        pip_audit_run.parse(output, include_installers=False)


def test_pip_audits_report_is_read() -> None:
    report = pip_audit_run.parse(PIP_AUDIT, include_installers=False)
    assert report.audited == ["requests==2.19.0", "idna==2.7"]
    assert report.ignored == ["pip==23.2.1"]
    assert [(s.name, s.reason) for s in report.skipped] == [
        ("myproject", "distribution marked as editable")
    ]
    [vulnerable] = report.vulnerable
    assert (vulnerable.name, vulnerable.version, vulnerable.id) == (
        "requests", "2.19.0", "PYSEC-2018-28",
    )
    assert vulnerable.aliases == ("CVE-2018-18074", "GHSA-x84v-xcm2-53pg")
    assert vulnerable.fix_versions == ("2.20.0",)
    assert [v.id for v in report.ignored_vulnerable] == ["PYSEC-2023-228"]
    counted = pip_audit_run.parse(PIP_AUDIT, include_installers=True)
    assert [v.id for v in counted.vulnerable] == ["PYSEC-2018-28", "PYSEC-2023-228"]


def test_releases_pypi_answered_404_for_are_named_not_a_generic_hint() -> None:
    # Every package answered 404 Not Found (tests/fixtures/pip_audit/README.md).
    saved = (FIXTURES / "pip_audit" / "all_skipped.json").read_text(encoding="utf-8")
    with pytest.raises(GateError) as err:
        pip_audit_run.parse(saved, include_installers=True)
    assert str(err.value) == (
        "pip-audit audited no dependency: PyPI answered 404 Not Found for pip 23.2.1, "
        "requests 2.19.0, setuptools 65.5.0"
    )


def test_one_release_pypi_did_not_find_beside_installer_tooling_is_said_as_it_happened() -> None:
    # PIP_AUDIT's pip entry, and an entry in the form of all_skipped.json's (pip-audit's
    # `_service/pypi.py` on a 404): PyPI answered for pip, not for the project's one dependency.
    report = json.loads(PIP_AUDIT)
    report["dependencies"] = [
        report["dependencies"][1],
        {"name": "acme-billing", "skip_reason":
         "Dependency not found on PyPI and could not be audited: acme-billing (0.4.2)"},
    ]
    with pytest.raises(GateError) as err:
        pip_audit_run.parse(json.dumps(report), include_installers=False)
    assert str(err.value) == (
        "pip-audit audited no dependency: PyPI answered 404 Not Found for acme-billing 0.4.2; "
        "what it audited is installer tooling, not counted (pip==23.2.1; include_installers = "
        "true counts it)"
    )
    assert "reachable" not in str(err.value)


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda r: r.pop("dependencies"), "missing required field `dependencies`"),
        (lambda r: r["dependencies"][0]["vulns"][0].pop("fix_versions"),
         "`fix_versions` - at `$.dependencies[0].vulns[0]`"),
        (lambda r: r["dependencies"][0]["vulns"][0].pop("aliases"),
         "`aliases` - at `$.dependencies[0].vulns[0]`"),
        (lambda r: r["dependencies"][2].update(version=2.7),
         "got `float` - at `$.dependencies[2].version`"),
        (lambda r: r["dependencies"][2].pop("vulns"), "at `$.dependencies[2]`"),
        (lambda r: r["dependencies"][1].pop("version"), "at `$.dependencies[1]`"),
    ],
)
def test_a_damaged_pip_audit_report_is_an_error_naming_the_field(change: Any, named: str) -> None:
    with pytest.raises(GateError, match="not the one pip-audit writes") as err:
        pip_audit_run.parse(changed(PIP_AUDIT, change), include_installers=False)
    assert named in str(err.value)


RECORD = """\
id: PYSEC-2099-1
modified: 2099-01-01T00:00:00Z
affected:
- package:
    ecosystem: PyPI
    name: Some_Package
  ranges:
  - type: ECOSYSTEM
    events:
    - introduced: "0"
    - fixed: "2.0"
  versions:
  - "1.0"
"""


@pytest.mark.parametrize(
    ("text", "named"),
    [
        (RECORD.replace("id: PYSEC-2099-1\n", ""), "missing required field `id`"),
        (RECORD.replace('- "1.0"', "- 1.0"), "got `float` - at `$.affected[0].versions[0]`"),
        (RECORD.replace('- fixed: "2.0"', "- fixed: 2"),
         "got `int` - at `$.affected[0].ranges[0].events[1].fixed`"),
        (RECORD.replace("    ecosystem: PyPI\n", ""),
         "`ecosystem` - at `$.affected[0].package`"),
        (RECORD.replace("  - type: ECOSYSTEM\n    events:", "  - events:"),
         "`type` - at `$.affected[0].ranges[0]`"),
    ],
)
def test_a_damaged_osv_record_is_an_error_naming_the_file_and_field(
    tmp_path: Path, text: str, named: str
) -> None:
    path = tmp_path / "vulns" / "some-package" / "PYSEC-2099-1.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(text, encoding="utf-8")
    for load in (lambda: OsvDatabase.load(tmp_path),
                 lambda: IndexedOsvDatabase.load(tmp_path, tmp_path / "index")):
        with pytest.raises(GateError, match="is not an OSV record") as err:
            load()
        assert str(path) in str(err.value)
        assert named in str(err.value)


def test_a_record_is_served_whole_with_its_pypi_names_normalized(tmp_path: Path) -> None:
    path = tmp_path / "PYSEC-2099-1.yaml"
    path.write_text(RECORD, encoding="utf-8")
    [served] = OsvDatabase.load(tmp_path).query("some.package", "1.5")
    assert served == {
        "id": "PYSEC-2099-1",
        "modified": "2099-01-01T00:00:00Z",
        "affected": [{
            "package": {"ecosystem": "PyPI", "name": "some-package"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.0"}]}],
            "versions": ["1.0"],
        }],
    }
    assert load_record(path)["affected"] == [{
        "package": {"ecosystem": "PyPI", "name": "Some_Package"},
        "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.0"}]}],
        "versions": ["1.0"],
    }]
    assert OsvDatabase.load(tmp_path).query("some-package", "2.0") == []


def test_a_stored_index_of_another_shape_is_built_again(tmp_path: Path) -> None:
    root = FIXTURES / "osv"
    index = tmp_path / "index"
    built = IndexedOsvDatabase.load(root, index)
    for stored in index.glob("*.json"):
        data = json.loads(stored.read_text(encoding="utf-8"))
        data["records"] = "many"
        stored.write_text(json.dumps(data), encoding="utf-8")
    again = IndexedOsvDatabase.load(root, index)
    assert again.records == built.records
    assert again.names == built.names
