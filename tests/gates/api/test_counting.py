"""The api gate's figures against schemathesis's own JSON run report, its reproductions and its
judgement of a refused run, on saved outputs: tests/fixtures/schemathesis/tally-*.json|xml are one
run of schemathesis 4.32.5 (seed 7, 5 examples, every check, `X-Api-Key` configured) against the
`tally` service of tests/fixtures/api_services.py, whose POST /things answers 500 and 503 and
whose two GET operations ignore their API key in two ways."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import msgspec
import pytest
from schemathesis.config import SchemathesisConfig

from auditor.errors import ConfigError, GateError
from auditor.model import GateResult, ToolRun
from gates.api import fuzz, parse, reproduce, st_run, tally
from gates.api.details import ApiDetails, FailingOperation, Problem
from gates.api.settings import parse as parse_settings
from gates.api.view import ApiReportView
from tests.helpers import FIXTURES

pytestmark = pytest.mark.unit

SAVED = FIXTURES / "schemathesis"


def _tally_report() -> parse.RunReport:
    return parse.parse_run_report(st_run.read_json_report(SAVED / "tally-run.json"))


def _tally_failures() -> list[parse.Failure]:
    return parse.parse_junit((SAVED / "tally-junit.xml").read_text(encoding="utf-8"))


def _own_counts(path: Path) -> dict[str, int]:
    """schemathesis's JSON report read without the gate: its groups' counts summed per code."""
    counts: dict[str, int] = {}
    for group in json.loads(path.read_text(encoding="utf-8"))["failures"]:
        counts[group["code"]] = counts.get(group["code"], 0) + group["count"]
    return counts


def test_groups_of_one_code_are_summed_as_schemathesis_reports_them() -> None:
    """schemathesis groups failures by title: ST401 heads two groups, each counted."""
    report = _tally_report()
    assert [g.code for g in report.groups].count("ST401") == 2
    assert report.failure_counts == _own_counts(SAVED / "tally-run.json")
    assert report.failure_operations["ST401"] == ["GET /vault", "GET /open"]
    figures = parse.report_figures(report)
    assert figures["auth_ignored"] == 2
    # One operation, two unique server errors (500 and 503): schemathesis counts failures.
    assert figures["server_errors"] == 2
    assert report.failure_operations["ST101"] == ["POST /things"]


def test_junit_failures_reconcile_code_by_code_with_the_json_report() -> None:
    report = _tally_report()
    failures = _tally_failures()
    parse.reconcile(failures, report)
    assert parse.figures(failures) == parse.report_figures(report)


def test_each_tally_equals_schemathesiss_figure_or_states_the_difference() -> None:
    report = _tally_report()
    leak = Problem(condition="leaky_errors", code="leak", title="error body shows a traceback",
                   check="leaky_errors", status=500, curl="curl -X POST x")
    failing = (FailingOperation("POST /things", "", None, (leak,)),)
    tallies = {t.condition: t for t in tally.tallies(report, failing, (
        "server_errors", "contract_violations", "invalid_input_accepted", "auth_ignored",
        "leaky_errors",
    ))}
    own = _own_counts(SAVED / "tally-run.json")
    assert tallies["server_errors"].value == tallies["server_errors"].schemathesis == own["ST101"]
    assert tallies["server_errors"].operations == ("POST /things",)
    assert tallies["auth_ignored"].value == tallies["auth_ignored"].schemathesis == own["ST401"]
    assert {g.title for g in tallies["auth_ignored"].groups} == {
        "API accepts invalid authentication", "API accepts requests without authentication",
    }
    for condition in ("contract_violations", "invalid_input_accepted"):
        assert tallies[condition].value == tallies[condition].schemathesis
        assert "equal to schemathesis's count" in tallies[condition].difference
    leaky = tallies["leaky_errors"]
    assert (leaky.value, leaky.schemathesis, leaky.counts) == (1, None, "operations")
    assert "not schemathesis's" in leaky.difference
    details = ApiDetails(tallies=tuple(tallies.values()))
    assert msgspec.convert(msgspec.to_builtins(details), ApiDetails) == details


def test_the_view_shows_each_figure_beside_schemathesiss() -> None:
    report = _tally_report()
    details = ApiDetails(
        seed=7, tallies=tally.tallies(report, (), ("server_errors", "leaky_errors")),
        schemathesis_report="out/api-schemathesis.json",
    )
    result = GateResult(id="api", title="API", status="failed", score=0.0, duration_s=1.0,
                        reason=None, tool=ToolRun(name="schemathesis", version="4"),
                        conditions=[], findings=[], details=details)
    built = ApiReportView().build(result)
    assert built is not None
    server, leaky = built.counted
    assert (server.value, server.counts, server.operations) == ("2", "unique failures", "1")
    assert server.schemathesis == "2 (ST101 Server error: 2)"
    assert (leaky.schemathesis, leaky.counts) == ("—", "operations")
    assert built.schemathesis_report == "out/api-schemathesis.json"


def test_a_reproduction_is_the_smallest_request_that_failed_the_same_way() -> None:
    """schemathesis names the first request that found a failure (here a 762-byte body); another
    request that failed the same check with the same title and status is smaller."""
    interactions = parse.parse_cassette((SAVED / "cassette.yaml").read_text(encoding="utf-8"))
    crash = parse.by_case(interactions)["L6ZPTV"]
    operations = ["POST /items", "GET /items/{item_id}", "POST /orders"]
    smallest = parse.smallest_like(crash, "not_a_server_error", "Server error", interactions,
                                   operations)
    assert smallest.size < crash.size
    assert smallest.status == 500
    assert smallest.failed("not_a_server_error", "Server error")
    alike = [i for i in interactions if i.failed("not_a_server_error", "Server error")
             and i.method == "POST" and i.path == "/items"]
    assert smallest.size == min(i.size for i in alike)


def test_secrets_are_references_to_their_variables() -> None:
    secrets = reproduce.Secrets(headers={"Authorization": "API_TOKEN"}, basic_auth=None,
                                schemes={"authorization": "Bearer"})
    headers = {"User-Agent": "schemathesis/4", "Accept": "*/*", "Authorization": "[Filtered]",
               "X-Region": "0", "Content-Type": "application/json"}
    request = reproduce.recorded("GET", "http://h/reports/0?session_token=1000", headers, None,
                                 secrets)
    command = request.curl()
    assert '-H "Authorization: ${API_TOKEN}"' in command
    assert shlex.split(command) == [
        "curl", "-X", "GET", "-H", "Content-Type: application/json", "-H",
        "Authorization: ${API_TOKEN}", "-H", "X-Region: 0", "http://h/reports/0?session_token=1000",
    ]
    assert request.resolved_headers({"API_TOKEN": "Bearer t"})["Authorization"] == "Bearer t"
    probe = reproduce.recorded("GET", "http://h/x", headers, None, secrets,
                               invalid_credentials=True)
    assert "Authorization: Bearer SCHEMATHESIS-INVALID-VALUE" in shlex.split(probe.curl())
    basic = reproduce.recorded("GET", "http://h/x", {"Authorization": "[Filtered]"}, None,
                               reproduce.Secrets(basic_auth="API_BASIC"))
    assert basic.curl() == 'curl -X GET -u "${API_BASIC}" http://h/x'
    assert basic.resolved_headers({"API_BASIC": "u:p"}) == {"Authorization": "Basic dTpw"}


def test_a_reproduction_sends_the_body_and_headers_exactly() -> None:
    nothing = reproduce.Secrets()
    empty = reproduce.recorded("POST", "http://h/x", {"X-Tag": ""}, b"@etc/passwd", nothing)
    argv = shlex.split(empty.curl())
    assert "X-Tag;" in argv  # `X-Tag:` would drop the header
    assert argv[-3:] == ["--data-binary", "@-", "http://h/x"]  # never read as a file
    assert "Content-Type:" in argv  # curl adds none of its own to a body that had none
    globbed = reproduce.recorded("GET", "http://h/x?q=[1]", {}, None, nothing)
    assert "--globoff" in shlex.split(globbed.curl())


def test_the_run_configuration_hides_exactly_the_secret_headers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("API_TOKEN", "Bearer t")
    monkeypatch.setenv(st_run.AUTH_USER_VAR, "u")
    monkeypatch.setenv(st_run.AUTH_PASSWORD_VAR, "p")
    settings = parse_settings({"start": "serve {port}", "headers": {"X-Api-Key": "API_TOKEN"},
                               "auth": "API_BASIC"})
    config = SchemathesisConfig.from_str(st_run.config_text(settings, tmp_path))
    sanitization = config.output.sanitization
    assert sanitization.enabled
    assert set(sanitization.keys_to_sanitize) == {"x-api-key", "authorization"}
    assert set(sanitization.sensitive_markers) == {"x-api-key", "authorization"}
    plain = parse_settings({"start": "serve {port}"})
    assert not SchemathesisConfig.from_str(
        st_run.config_text(plain, tmp_path)
    ).output.sanitization.enabled


def test_rate_limit_is_schemathesiss_option(tmp_path: Path) -> None:
    settings = parse_settings({"start": "serve {port}", "rate_limit": "5/s"})
    cmd = st_run.command(settings, base=("st",), config=tmp_path / "c.toml", schema="s",
                         base_url=None, reports=st_run.Reports.under(tmp_path),
                         database=tmp_path / "db")
    assert cmd[cmd.index("--rate-limit") + 1] == "5/s"
    assert parse_settings({"start": "serve {port}"}).rate_limit is None
    with pytest.raises(ConfigError, match="`rate_limit`"):
        parse_settings({"start": "serve {port}", "rate_limit": "fast"})


def _answered(status: int, count: int) -> list[parse.Interaction]:
    return [
        parse.Interaction(case_id=str(n), method="POST", uri="http://h/x", request_headers={},
                          request_body=None, status=status, response_headers={},
                          response_body=b"")
        for n in range(count)
    ]


def test_a_run_answered_mostly_429_is_an_error_naming_the_status_share_and_setting() -> None:
    report = _tally_report()
    refused = _answered(429, 31) + _answered(201, 12)
    with pytest.raises(GateError) as caught:
        fuzz.check_answered(refused, report)
    message = str(caught.value)
    assert "31 of 43 answers (72%) were 31 429 Too Many Requests" in message
    assert "`rate_limit`" in message
    assert "--rate-limit" in message
    with pytest.raises(GateError, match="503 Service Unavailable"):
        fuzz.check_answered(_answered(503, 3) + _answered(200, 1), report)
    fuzz.check_answered(_answered(429, 5) + _answered(200, 5), report)  # half is not most
