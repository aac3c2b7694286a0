"""The api gate's readers of schemathesis's outputs, typed: its JSON run report, its VCR
cassette, its JUnit report, and the route probe's output. A field that is missing or of another
type is an error naming it, never a 0; and the options are read as their OptionSpecs declare
them, defaults included."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from auditor.errors import ConfigError
from gates.api import parse, routes, st_run
from gates.api.gate import ApiGate
from gates.api.settings import parse as parse_settings
from gates.tools import NotAReportError
from tests.helpers import FIXTURES

pytestmark = pytest.mark.unit

SAVED = FIXTURES / "schemathesis"


def _run_json() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SAVED / "run.json").read_text(encoding="utf-8"))
    return data


def test_the_run_report_is_decoded_straight_from_the_file() -> None:
    report = parse.parse_run_report(st_run.read_json_report(SAVED / "run.json"))
    assert report == parse.parse_run_report(_run_json())
    assert (report.operations_selected, report.test_cases, report.version) == (6, 633, "4.32.5")


@pytest.mark.parametrize(("damage", "field"), [
    (lambda d: d.pop("complete"), "`complete`"),
    (lambda d: d["operations"].pop("tested"), "`tested` - at `$.operations`"),
    (lambda d: d["failures"][1].update(count="1"), "`$.failures[1].count`"),
    (lambda d: d["test_cases"].update(generated=None), "`$.test_cases.generated`"),
    (lambda d: d.update(errors=[{"count": 1}]), "`title` - at `$.errors[0]`"),
])
def test_a_run_report_missing_a_field_or_of_another_type_is_an_error_naming_it(
    tmp_path: Path, damage: Any, field: str,
) -> None:
    data = _run_json()
    damage(data)
    with pytest.raises(NotAReportError, match=re.escape(field)):
        parse.parse_run_report(data)
    path = tmp_path / "run.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(NotAReportError, match=re.escape(field)):
        st_run.read_json_report(path)


def test_a_run_whose_schema_never_loaded_tested_no_operation(tmp_path: Path) -> None:
    data = {**_run_json(), "operations": None, "complete": False, "stop_reason": "error",
            "errors": [{"title": "Schema Loading Error", "count": 1}]}
    report = parse.parse_run_report(data)
    assert (report.operations_selected, report.operations_tested) == (0, 0)
    assert report.errors == ["Schema Loading Error"]
    with pytest.raises(NotAReportError, match="wrote no JSON report"):
        st_run.read_json_report(tmp_path / "missing.json")


CASSETTE = """\
http_interactions:
- id: 'A1'
  status: 'FAILURE'
  checks:
    - name: 'not_a_server_error'
      status: 'FAILURE'
      message: 'Server error'
  request:
    uri: 'http://127.0.0.1:1/items'
    method: 'post'
    headers:
      "Content-Type":
      - "application/json"
    body:
      encoding: 'utf-8'
      base64_string: 'eyJhIjogMX0='
  response:
    status:
      code: '500'
      message: "Internal Server Error"
    elapsed: '0.001'
    headers:

    body:
      encoding: 'utf-8'
      string: "boom"
    http_version: '1.1'
- id: 'B2'
  status: 'ERROR'
  checks: []
  request:
    uri: 'http://127.0.0.1:1/items'
    method: 'GET'
    headers:
      "Accept":
      - "*/*"
  response: null
"""


def test_the_cassette_is_read_as_schemathesis_records_it() -> None:
    (crash,) = parse.parse_cassette(CASSETTE)  # B2 got no response: nothing to judge
    assert (crash.case_id, crash.method, crash.status) == ("A1", "POST", 500)
    assert crash.request_headers == {"Content-Type": "application/json"}
    assert (crash.request_body, crash.response_body) == (b'{"a": 1}', b"boom")
    assert crash.response_headers == {}
    assert crash.failed_checks == ("not_a_server_error",)


@pytest.mark.parametrize(("old", "new", "field"), [
    ("      code: '500'", "      code: 'five'", "`$.http_interactions[0].response.status.code`"),
    ("    uri: 'http://127.0.0.1:1/items'\n    method: 'post'", "    method: 'post'",
     "`uri` - at `$.http_interactions[0].request`"),
    ("  checks: []\n", "", "`checks` - at `$.http_interactions[1]`"),
    ("- id: 'B2'", "- id: ['B2']", "`$.http_interactions[1].id`"),
])
def test_a_cassette_missing_a_field_or_of_another_type_is_an_error_naming_it(
    old: str, new: str, field: str,
) -> None:
    assert old in CASSETTE
    with pytest.raises(NotAReportError, match=re.escape(field)):
        parse.parse_cassette(CASSETTE.replace(old, new, 1))


def test_a_cassette_body_that_is_neither_bytes_nor_text_is_an_error() -> None:
    damaged = CASSETTE.replace("      string: \"boom\"", "      text: \"boom\"")
    with pytest.raises(NotAReportError, match=r"neither `base64_string` nor `string`.*A1"):
        parse.parse_cassette(damaged)


def test_a_junit_testcase_without_its_operation_is_an_unreadable_report() -> None:
    text = ('<testsuites><testsuite><testcase><failure message="ST101">1. Test Case ID: x\n'
            "- ST101 Server error</failure></testcase></testsuite></testsuites>")
    with pytest.raises(NotAReportError, match="without its `name`"):
        parse.parse_junit(text)


def test_the_route_probe_output_is_typed() -> None:
    out = json.dumps({"GET /x": ["/root/app/main.py", 12], "GET /y": [None, 3]})
    assert routes.decode_probe(out) == {"GET /x": ("/root/app/main.py", 12), "GET /y": (None, 3)}
    assert routes.parse_probe(out, Path("/root")) == {"GET /x": ("app/main.py", 12)}
    # A line that is not [file, line]: the locations stay unknown (they are never figures).
    assert routes.parse_probe(json.dumps({"GET /x": ["/root/a.py", "12"]}), Path("/root")) == {}
    assert routes.parse_probe("the app printed this last\n", Path("/root")) == {}


def test_the_api_options_defaults_are_their_optionspecs() -> None:
    declared = {spec.name: spec.default for spec in ApiGate.options}
    settings = parse_settings({"start": "serve --port {port}"})
    assert settings.schema == declared["schema"]
    assert settings.max_examples == declared["max_examples"]
    assert settings.seed == declared["seed"]
    assert list(settings.checks) == declared["checks"]
    assert settings.service.health == declared["health"]
    assert (settings.headers, settings.auth, settings.app, settings.command) == ({}, None, None, ())


@pytest.mark.parametrize(("options", "needle"), [
    ({"max_examples": "many"}, "`max_examples` in [tool.audit.api] must be a whole number"),
    ({"schema": ""}, "`schema` in [tool.audit.api] is empty"),
    ({"seed": 1.5}, "`seed` in [tool.audit.api] must be a whole number"),
    ({"checks": []}, "`checks` in [tool.audit.api] is empty"),
    ({"start": None}, "`start` in [tool.audit.api] is not set"),
])
def test_an_api_option_of_another_type_is_a_config_error_not_its_default(
    options: dict[str, object], needle: str,
) -> None:
    with pytest.raises(ConfigError, match=re.escape(needle)):
        parse_settings({"start": "serve {port}", **options})
