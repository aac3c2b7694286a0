"""The api gate's pure parts on schemathesis's real reports (tests/fixtures/schemathesis: one run of
schemathesis 4.32 with seed 1 against the example service before its fix), its settings and the
service keys it inherits from the load gate."""

from __future__ import annotations

import json
import shlex
from dataclasses import replace
from pathlib import Path

import msgspec
import pytest

from auditor import config
from auditor.errors import ConfigError, GateError
from gates import openapi
from gates.api import parse, routes
from gates.api.details import ApiDetails, FailingOperation, Problem
from gates.api.settings import DEFAULT_SEED
from gates.api.settings import parse as parse_settings
from gates.service import unused_key_warnings
from gates.tools import NotAReportError
from tests.helpers import FIXTURES, write_project

pytestmark = pytest.mark.unit

SAVED = FIXTURES / "schemathesis"


def _failures() -> list[parse.Failure]:
    return parse.parse_junit((SAVED / "junit.xml").read_text(encoding="utf-8"))


def test_junit_gives_every_unique_failure_with_its_operation_and_test_case() -> None:
    failures = _failures()
    assert len(failures) == 9  # "9 unique failures" in schemathesis's summary
    crash = next(f for f in failures if f.code == "ST101")
    assert (crash.operation, crash.case_id) == ("POST /items", "L6ZPTV")
    assert crash.title == "Server error"


def test_figures_from_junit_equal_schemathesiss_own_json_counts() -> None:
    report = parse.parse_run_report(json.loads((SAVED / "run.json").read_text(encoding="utf-8")))
    assert parse.figures(_failures()) == parse.report_figures(report) == {
        "server_errors": 1, "contract_violations": 1, "invalid_input_accepted": 1,
        "auth_ignored": 0,
    }
    assert (report.seed, report.operations_tested, report.complete) == (1, 6, True)
    # Its 6 undocumented statuses (ST103) count in undeclared_statuses, not as contract violations.
    assert report.failure_counts["ST103"] == 6


def test_a_junit_code_without_a_test_case_is_an_unreadable_report() -> None:
    text = ('<testsuites><testsuite><testcase name="GET /x"><failure message="ST101">'
            "something else</failure></testcase></testsuite></testsuites>")
    with pytest.raises(NotAReportError, match="ST101"):
        parse.parse_junit(text)
    with pytest.raises(NotAReportError):
        parse.parse_junit("not xml")


def test_the_cassette_links_a_failure_to_its_request_and_response() -> None:
    cases = parse.by_case(parse.parse_cassette(
        (SAVED / "cassette.yaml").read_text(encoding="utf-8")
    ))
    crash = cases["L6ZPTV"]
    assert (crash.method, crash.status) == ("POST", 500)
    assert "not_a_server_error" in crash.failed_checks
    # A configured header goes with every request, hidden from the cassette by the run's
    # sanitizer; the reproduction refers to its variable (a header not sent is not added).
    sent = replace(crash, request_headers={**crash.request_headers, "X-Api-Key": "[Filtered]"})
    command = parse.curl(sent, {"X-Api-Key": "API_KEY"})
    argv = shlex.split(command)
    assert argv[:3] == ["curl", "-X", "POST"]
    assert '"X-Api-Key: ${API_KEY}"' in command
    assert argv[-1] == crash.uri
    assert json.loads(argv[argv.index("--data-binary") + 1])["price_cents"] > 2**63


def test_leaks_are_tracebacks_paths_and_sql() -> None:
    assert parse.leak_kind('Traceback (most recent call last):\n  File "x.py", line 1', []) \
        == "traceback"
    assert parse.leak_kind("error in /srv/app/main.py", ["/srv/app"]) == "file path"
    assert parse.leak_kind("/usr/lib/python3.11/site-packages/x.py", []) == "file path"
    assert parse.leak_kind("near INSERT INTO items: syntax error", []) == "SQL"
    assert parse.leak_kind('{"detail": "item 3 does not exist"}', ["/srv/app"]) is None
    assert parse.leak_kind('{"detail": "select an item from the list"}', []) is None


def test_a_request_is_matched_to_its_documented_operation() -> None:
    operations = ["GET /items", "GET /items/{item_id}", "GET /items/new"]
    assert parse.match_operation("GET", "/items/7", operations) == "GET /items/{item_id}"
    assert parse.match_operation("GET", "/items/new", operations) == "GET /items/new"
    assert parse.match_operation("GET", "/api/v1/items", operations) == "GET /items"
    assert parse.match_operation("POST", "/items", operations) is None


def test_every_failure_code_has_a_condition() -> None:
    assert parse.condition_of("ST101") == "server_errors"
    assert parse.condition_of("ST201") == "invalid_input_accepted"
    assert parse.condition_of("ST401") == "auth_ignored"
    assert parse.condition_of("ST103") == "undeclared_statuses"
    assert parse.condition_of("ST205") == "contract_violations"


def test_details_of_the_wrong_type_are_refused_naming_the_field() -> None:
    """A damaged `details` is no longer read tolerantly: msgspec refuses it and names the field."""
    problem = {"condition": "server_errors", "code": "ST101", "title": "Server error",
               "check": "not_a_server_error", "status": 500, "curl": "curl /",
               "log_lines": ["boom"]}
    operation = {"operation": "GET /", "path": "", "line": None, "problems": [problem]}
    good = {"seed": 7, "failing": [operation]}
    details = msgspec.convert(good, ApiDetails)
    assert details.failing[0].problems[0].log_lines == ("boom",)
    assert msgspec.convert(msgspec.to_builtins(details), ApiDetails) == details
    with pytest.raises(msgspec.ValidationError, match=r"\$\.seed"):
        msgspec.convert({**good, "seed": "x"}, ApiDetails)
    junk = {**good, "failing": [{**operation, "problems": [problem, "junk"]}]}
    with pytest.raises(msgspec.ValidationError, match=r"\$\.failing\[0\]\.problems\[1\]"):
        msgspec.convert(junk, ApiDetails)


def test_the_app_is_read_from_the_start_command() -> None:
    start = ("python", "-m", "uvicorn", "inventory.main:app", "--port", "{port}")
    assert openapi.served_app(start) == "inventory.main:app"
    assert openapi.served_app(("python", "serve.py")) is None
    out = json.dumps({"GET /x": ["/root/app/main.py", 12], "GET /y": ["/elsewhere/lib.py", 3]})
    assert routes.parse_probe(out, Path("/root")) == {"GET /x": ("app/main.py", 12)}


def test_settings_defaults_and_mistakes() -> None:
    settings = parse_settings({"start": "serve --port {port}"})
    assert (settings.seed, settings.max_examples, settings.schema) == (
        DEFAULT_SEED, 50, "/openapi.json"
    )
    with pytest.raises(ConfigError, match="`nope` is not a condition"):
        parse_settings({"start": "serve {port}", "checks": ["nope"]})
    with pytest.raises(ConfigError, match="never the secret itself"):
        parse_settings({"start": "serve {port}", "headers": {"X-Api-Key": "s3cr3t value"}})
    with pytest.raises(ConfigError, match=r"no `\{port\}`"):
        parse_settings({"start": "serve"})


def test_the_api_gate_starts_the_service_the_load_table_describes(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {"pyproject.toml": """
        [tool.audit.load]
        start = "python -m app --port {port}"
        health = "/health"
        endpoints = [{ path = "/items" }]

        [tool.audit.api]
        max_examples = 10
        health = "/"
        """})
    cfg = config.load(root, None)
    assert cfg.gates["api"].options["start"] == "python -m app --port {port}"
    assert cfg.gates["api"].options["health"] == "/health"
    assert cfg.gates["api"].options["max_examples"] == 10
    assert cfg.gates["load"].options["start"] == "python -m app --port {port}"
    # Where each inherited value came from, and the api table's own `health`, left unread.
    api = cfg.gates["api"]
    assert api.origins == {"start": "[tool.audit.load]", "health": "[tool.audit.load]"}
    assert cfg.gates["load"].origins == {}
    (warning,) = unused_key_warnings(api, "[tool.audit.api]")
    assert warning.startswith("`health` in [tool.audit.api] is not used: without a `start` of "
                              "its own, the gate takes every service key from [tool.audit.load]")
    assert unused_key_warnings(cfg.gates["load"], "[tool.audit.load]") == ()


def test_an_api_table_with_its_own_start_inherits_nothing(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {"pyproject.toml": """
        [tool.audit.load]
        start = "python -m app --port {port}"
        health = "/health"
        endpoints = [{ path = "/items" }]

        [tool.audit.api]
        start = "python -m api --port {port}"
        """})
    api = config.load(root, None).gates["api"]
    options = api.options
    assert (options["start"], options["health"]) == ("python -m api --port {port}", "/")
    assert (api.origins, api.unused) == ({}, {})


def test_without_a_start_command_the_gate_is_skipped(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {"pyproject.toml": "[project]\nname = 'p'\n"})
    cfg = config.load(root, None)
    from auditor.registry import gates as registered_gates  # noqa: PLC0415

    assert "no `start` command" in (registered_gates()["api"].skip_reason(cfg.gates["api"]) or "")


def test_the_view_lists_failing_operations_with_their_reproduction() -> None:
    from auditor.model import GateResult, ToolRun  # noqa: PLC0415
    from gates.api.view import ApiReportView  # noqa: PLC0415

    details = ApiDetails(
        seed=7, max_examples=5, operations_tested=2, test_cases=40, schema="/openapi.json",
        failing=(FailingOperation("POST /things", "app.py", 9, (Problem(
            condition="server_errors", code="ST101", title="Server error",
            check="not_a_server_error", status=500,
            curl="curl -X POST http://127.0.0.1:1/things", log_lines=("OverflowError",),
            reproduced_status=500),)),),
    )
    result = GateResult(id="api", title="API", status="failed", score=0.0, duration_s=1.0,
                        reason=None, tool=ToolRun(name="schemathesis", version="4"),
                        conditions=[], findings=[], details=details)
    view = ApiReportView()
    built = view.build(result)
    assert built is not None
    assert ("seed", "7") in built.figures
    assert built.failing[0].problems[0].log_lines == ("OverflowError",)
    pointers = view.where_to_look(result, "server_errors")
    assert pointers == ["POST /things (app.py:9): ST101 Server error; reproduce: "
                        "curl -X POST http://127.0.0.1:1/things"]
    assert view.where_to_look(result, "auth_ignored") == []


def test_junit_and_json_reports_that_disagree_are_an_error() -> None:
    report = parse.parse_run_report(json.loads((SAVED / "run.json").read_text(encoding="utf-8")))
    parse.reconcile(_failures(), report)  # the recorded run adds up
    one_more = dict(report.failure_counts)
    # A code counted by failures, not by operations: one more changes its condition's figure.
    code = next(c for c in one_more
                if parse.condition_of(c) not in ("server_errors", "auth_ignored"))
    one_more[code] += 1
    with pytest.raises(GateError, match="cannot vouch for either"):
        parse.reconcile(_failures(), replace(report, failure_counts=one_more))
