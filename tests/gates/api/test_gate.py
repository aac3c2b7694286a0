"""The api gate against real services on loopback (tests/fixtures/api_services.py), each with one
defect, started and stopped by the audit itself, with schemathesis run for real."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from gates.api import parse
from gates.service import free_port, port_accepts
from tests.helpers import FIXTURES, audit, condition, gate, tree_snapshot, write_project
from tests.shared import once_per_run

pytestmark = pytest.mark.slow

SERVICES = FIXTURES / "api_services.py"
EXAMPLES = 5
SEED = 7
CONDITIONS = ("server_errors", "contract_violations", "invalid_input_accepted", "auth_ignored",
              "leaky_errors")
TOKEN = "Bearer s3cret-bearer-token"  # noqa: S105 - what api_services.replayable accepts
SECRET_ENV = {"TEST_API_KEY": "sesame", "API_TOKEN": TOKEN}
CODES = {"server_errors": ("ST101", "ST102"), "invalid_input_accepted": ("ST201", "ST203"),
         "auth_ignored": ("ST401", "ST402")}
"""The failure codes of each condition, as `st explain` describes them; every other code is a
contract violation."""


def _project(tmp_path: Path, kind: str, extra: str = "") -> Path:
    """A project holding the services' module, started as KIND; `app` names KIND's factory, so
    the handlers' lines can be found."""
    start = shlex.join(["python", SERVICES.name, kind, "--port", "{port}"])
    return write_project(
        tmp_path / kind,
        {
            SERVICES.name: SERVICES.read_text(encoding="utf-8"),
            "pyproject.toml": '[project]\nname = "svc"\nversion = "0"\n\n[tool.audit.api]\n'
            f'start = {json.dumps(start)}\nhealth = "/health"\nmax_examples = {EXAMPLES}\n'
            f'seed = {SEED}\napp = "{SERVICES.stem}:{kind}"\n' + extra,
        },
    )


def _run(root: Path, out: Path, env: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    return audit(root, out, gates="api", python=sys.executable, env=env)


def _values(card: dict[str, Any]) -> dict[str, float]:
    return {c: condition(card, "api", c)["value"] for c in CONDITIONS}


def _without_port(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    text = json.dumps(findings, sort_keys=True)
    return json.loads(re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", text))  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def overflow_audit(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, int, dict[str, Any], dict[str, float]]:
    """One audit of the overflow service, shared: its root, exit code, scorecard, and the tree
    before it (for the tests that compare against it)."""

    def build(tmp_path: Path) -> tuple[Path, int, dict[str, Any], dict[str, float]]:
        root = _project(tmp_path, "overflow")
        before = tree_snapshot(root)
        code, card = _run(root, tmp_path / "out")
        return root, code, card, before

    return once_per_run(tmp_path_factory, "api-overflow", build)


def test_a_large_integer_that_crashes_the_service_is_a_server_error_with_its_reproduction(
    overflow_audit: tuple[Path, int, dict[str, Any], dict[str, float]],
) -> None:
    root, code, card, before = overflow_audit
    assert tree_snapshot(root) == before, "the audit wrote into the target"
    assert code == 1
    assert _values(card)["server_errors"] == 1
    crash = next(f for f in gate(card, "api")["findings"] if f["rule"] == "not_a_server_error")
    assert crash["extra"]["operation"] == "POST /things"
    assert crash["path"] == SERVICES.name
    handler = (root / SERVICES.name).read_text(encoding="utf-8").splitlines()[crash["line"] - 1]
    assert '@app.post("/things"' in handler
    assert crash["extra"]["curl"].startswith("curl -X POST -H 'Content-Type: application/json'")
    failing = gate(card, "api")["details"]["failing"]
    problem = next(p for op in failing for p in op["problems"] if p["code"] == "ST101")
    assert problem["reproduced_status"] == 500
    assert any("OverflowError" in line for line in problem["log_lines"])
    assert gate(card, "api")["details"]["seed"] == SEED


def test_the_same_seed_gives_the_same_findings(
    tmp_path: Path, overflow_audit: tuple[Path, int, dict[str, Any], dict[str, float]],
) -> None:
    root, _, first, _ = overflow_audit
    second = _run(root, tmp_path / "again")[1]
    assert _values(first) == _values(second)
    assert _without_port(gate(first, "api")["findings"]) == _without_port(
        gate(second, "api")["findings"]
    )


def test_an_undeclared_404_and_an_operation_without_a_description_are_each_one(
    tmp_path: Path,
) -> None:
    """schemathesis's undocumented status (ST103) counts in `undeclared_statuses`, once per
    operation and status, never also as a contract violation."""
    code, card = _run(_project(tmp_path, "undocumented"), tmp_path / "out")
    assert code == 1
    values = _values(card)
    assert values["contract_violations"] == 0
    assert values["server_errors"] == 0
    assert condition(card, "api", "undeclared_statuses")["value"] == 1
    assert condition(card, "api", "undocumented_operations")["value"] == 1
    findings = gate(card, "api")["findings"]
    undeclared = [f for f in findings if f["rule"] == "undeclared_statuses"]
    assert [(f["extra"]["operation"], f["message"]) for f in undeclared] == [
        (
            "GET /things/{thing_id}",
            "GET /things/{thing_id}: undeclared answered 404, which its responses do not declare "
            "(HTTP 404)",
        )
    ]
    assert undeclared[0]["extra"]["curl"].startswith("curl -X GET")
    assert "ST103" not in {f["extra"]["code"] for f in findings}
    undocumented = [f for f in findings if f["rule"] == "undocumented_operations"]
    assert [f["extra"]["operation"] for f in undocumented] == ["GET /health"]
    tally = next(
        t
        for t in gate(card, "api")["details"]["tallies"]
        if t["condition"] == "undeclared_statuses"
    )
    assert tally["schemathesis"] == 1


def test_an_ignored_api_key_is_auth_ignored(tmp_path: Path) -> None:
    root = _project(tmp_path, "apikey", 'headers = { "X-Api-Key" = "TEST_API_KEY" }\n')
    code, card = _run(root, tmp_path / "out", env={"TEST_API_KEY": "sesame"})
    assert code == 1
    assert _values(card)["auth_ignored"] == 1
    finding = next(f for f in gate(card, "api")["findings"] if f["rule"] == "ignored_auth")
    assert "sesame" not in json.dumps(card)
    assert finding["extra"]["operation"] == "GET /secret"


def test_a_missing_secret_variable_is_an_error(tmp_path: Path) -> None:
    root = _project(tmp_path, "apikey", 'headers = { "X-Api-Key" = "TEST_API_KEY_UNSET" }\n')
    code, card = _run(root, tmp_path / "out")
    assert code == 3
    assert "TEST_API_KEY_UNSET" in gate(card, "api")["reason"]


def test_a_traceback_in_an_error_body_is_a_leaky_error(tmp_path: Path) -> None:
    code, card = _run(_project(tmp_path, "leaky"), tmp_path / "out")
    assert code == 1
    assert _values(card)["leaky_errors"] == 1
    leak = next(f for f in gate(card, "api")["findings"] if f["rule"] == "leaky_errors")
    assert leak["extra"]["operation"] == "POST /divide"
    assert "traceback" in leak["message"]


def test_a_clean_service_passes_every_condition(tmp_path: Path) -> None:
    code, card = _run(_project(tmp_path, "clean"), tmp_path / "out")
    assert code == 0, gate(card, "api")
    assert _values(card) == dict.fromkeys(CONDITIONS, 0)
    assert gate(card, "api")["details"]["operations_tested"] >= 2


def test_an_unreachable_schema_is_an_error(tmp_path: Path) -> None:
    root = _project(tmp_path, "clean", 'schema = "/nowhere.json"\n')
    code, card = _run(root, tmp_path / "out")
    assert code == 3
    api = gate(card, "api")
    assert api["status"] == "error"
    assert "schema" in api["reason"]
    assert all(c["status"] == "error" for c in api["conditions"])


def test_a_service_that_dies_during_the_run_is_an_error_with_its_log(tmp_path: Path) -> None:
    code, card = _run(_project(tmp_path, "dying"), tmp_path / "out")
    assert code == 3
    reason = gate(card, "api")["reason"]
    assert "exited with code 3 during schemathesis's run" in reason
    assert "giving up on" in reason


def test_checks_left_out_are_skipped_with_the_reason(tmp_path: Path) -> None:
    root = _project(tmp_path, "clean", 'checks = ["server_errors"]\n')
    code, card = _run(root, tmp_path / "out")
    assert code == 0
    leaky = condition(card, "api", "leaky_errors")
    assert leaky["status"] == "skipped"
    assert "checks" in leaky["reason"]


def test_figures_equal_schemathesiss_own_report_for_the_same_seed(
    tmp_path: Path, overflow_audit: tuple[Path, int, dict[str, Any], dict[str, float]],
) -> None:
    """schemathesis run by hand with the gate's seed and options: its JSON report's counts are
    the gate's figures."""
    card = overflow_audit[2]
    port = free_port()
    service = subprocess.Popen(
        [sys.executable, str(SERVICES), "overflow", "--port", str(port)],
        env={**os.environ, "TMPDIR": str(tmp_path)},
    )
    try:
        for _ in range(100):
            if port_accepts(port):
                break
            time.sleep(0.1)
        report = tmp_path / "st.json"
        subprocess.run(
            [sys.executable, "-m", "schemathesis.cli", "run",
             f"http://127.0.0.1:{port}/openapi.json", "--seed", str(SEED), "--max-examples",
             str(EXAMPLES), "--workers", "1", "--continue-on-failure", "--report", "json",
             "--report-json-path", str(report), "--generation-database", "none"],
            cwd=tmp_path, capture_output=True, check=False, timeout=300,
        )
        own = parse.report_figures(parse.parse_run_report(json.loads(report.read_text())))
    finally:
        service.terminate()
        service.wait(timeout=10)
    figures = {k: v for k, v in _values(card).items() if k != "leaky_errors"}
    assert figures == own


@contextmanager
def _serving(kind: str, tmp_path: Path) -> Iterator[int]:
    """The service KIND running on a free port, as a user's would while they paste a command."""
    port = free_port()
    service = subprocess.Popen(
        [sys.executable, str(SERVICES), kind, "--port", str(port)],
        env={**os.environ, "TMPDIR": str(tmp_path)}, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            if port_accepts(port):
                break
            time.sleep(0.1)
        yield port
    finally:
        service.terminate()
        service.wait(timeout=10)


def _audited(tmp_path_factory: pytest.TempPathFactory, kind: str,
             extra: str) -> tuple[int, dict[str, Any]]:
    """One audit of KIND with EXTRA configuration and the test secrets set, shared by the tests."""

    def build(tmp_path: Path) -> tuple[int, dict[str, Any]]:
        return _run(_project(tmp_path, kind, extra), tmp_path / "out", env=SECRET_ENV)

    return once_per_run(tmp_path_factory, f"api-{kind}", build)


@pytest.fixture(scope="module")
def tally_audit(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, dict[str, Any]]:
    return _audited(tmp_path_factory, "tally", 'headers = { "X-Api-Key" = "TEST_API_KEY" }\n')


@pytest.fixture(scope="module")
def replayable_audit(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, dict[str, Any]]:
    return _audited(tmp_path_factory, "replayable",
                    'headers = { "Authorization" = "API_TOKEN" }\n')


def _own_figures(report: dict[str, Any]) -> dict[str, int]:
    """schemathesis's JSON run report, summed per condition without the gate's reader."""
    figures = dict.fromkeys(CODES, 0) | {"contract_violations": 0}
    for group in report["failures"]:
        if group["code"] == "ST103":
            continue  # an undocumented status: undeclared_statuses, the gate's own figure
        fed = next(
            (c for c, codes in CODES.items() if group["code"] in codes), "contract_violations"
        )
        figures[fed] += group["count"]
    return figures


def test_every_figure_equals_schemathesiss_json_report_or_states_how_it_differs(
    tally_audit: tuple[int, dict[str, Any]],
) -> None:
    """One operation answering 500 and 503 is two of schemathesis's server errors; two operations
    ignoring their key in two ways are two ST401 groups of its report: the gate's figures are
    its figures, the operations stated beside."""
    code, card = tally_audit
    assert code == 1, gate(card, "api")
    details = gate(card, "api")["details"]
    own = json.loads(Path(details["schemathesis_report"]).read_text(encoding="utf-8"))
    values = _values(card)
    assert {k: v for k, v in values.items() if k != "leaky_errors"} == _own_figures(own)
    assert values["server_errors"] == 2
    assert values["auth_ignored"] == 2
    assert details["operations_tested"] == own["operations"]["tested"]
    assert details["test_cases"] == own["test_cases"]["generated"]
    tallies = {t["condition"]: t for t in details["tallies"]}
    assert set(tallies) == {*CONDITIONS, "undeclared_statuses", "undocumented_operations"}
    for fed in CODES:
        assert tallies[fed]["value"] == tallies[fed]["schemathesis"] == values[fed]
    assert tallies["server_errors"]["operations"] == ["POST /things"]
    assert "500 and 503 counts 2" in tallies["server_errors"]["difference"]
    assert tallies["leaky_errors"]["schemathesis"] is None
    assert tallies["leaky_errors"]["counts"] == "operations"
    assert "sesame" not in json.dumps(card)


def _pasted_status(command: str, port: int) -> int:
    """What COMMAND, pasted into a shell with the test secrets set, gets from the service on
    PORT (the audit ran it on another)."""
    pasted = re.sub(r"127\.0\.0\.1:\d+", f"127.0.0.1:{port}", command)
    result = subprocess.run(
        ["bash", "-c", f"{pasted} -s -o /dev/null -w '%{{http_code}}' --max-time 10"],
        env={**os.environ, **SECRET_ENV}, capture_output=True, text=True, timeout=60,
        check=False,
    )
    assert result.stdout.isdigit(), (pasted, result.stderr)
    return int(result.stdout)


def _problems(card: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for op in gate(card, "api")["details"]["failing"] for p in op["problems"]]


@pytest.mark.skipif(shutil.which("curl") is None, reason="no `curl` binary to paste into")
@pytest.mark.parametrize("kind", ["replayable", "tally", "overflow"])
def test_each_printed_curl_gets_the_status_it_reports(
    tmp_path: Path, kind: str, request: pytest.FixtureRequest,
) -> None:
    """Each reproduction, pasted into a shell against the running service, gets the status the
    gate reports: the bearer token (as its variable), the generated header and the query
    parameter schemathesis would filter (`session_token`) are all sent."""
    audited = request.getfixturevalue(f"{kind}_audit")
    card = audited[2] if kind == "overflow" else audited[1]
    problems = [p for p in _problems(card) if p["curl"] and p["status"]]
    assert problems
    with _serving(kind, tmp_path) as port:
        statuses = [(p["code"], _pasted_status(p["curl"], port)) for p in problems]
    assert statuses == [(p["code"], p["status"]) for p in problems]


def test_a_reproduction_prints_no_secret_and_refers_to_its_variable(
    replayable_audit: tuple[int, dict[str, Any]],
) -> None:
    code, card = replayable_audit
    assert code == 1, gate(card, "api")
    crash = next(p for p in _problems(card) if p["code"] == "ST101")
    assert crash["status"] == crash["reproduced_status"] == 500
    assert '-H "Authorization: ${API_TOKEN}"' in crash["curl"]
    assert "session_token=" in crash["curl"]
    assert "[Filtered]" not in crash["curl"]
    assert "s3cret" not in json.dumps(card)


def test_a_service_answering_429_to_most_requests_is_an_error_naming_the_setting(
    tmp_path: Path,
) -> None:
    code, card = _run(_project(tmp_path, "limited"), tmp_path / "out")
    assert code == 3
    api = gate(card, "api")
    assert api["status"] == "error"
    reason = api["reason"]
    assert "429 Too Many Requests" in reason
    assert re.search(r"\d+ of \d+ answers \((\d+)%\)", reason)
    assert "`rate_limit`" in reason


def test_rate_limit_lets_the_gate_judge_a_rate_limited_service(tmp_path: Path) -> None:
    """The setting the error names: schemathesis sends no faster than the service allows."""
    code, card = _run(_project(tmp_path, "limited", 'rate_limit = "2/s"\n'), tmp_path / "out")
    assert code == 0, gate(card, "api")
    assert _values(card) == dict.fromkeys(CONDITIONS, 0)
