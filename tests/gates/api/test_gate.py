"""The api gate against real services on loopback (tests/fixtures/api_services.py), each with one
defect, started and stopped by the audit itself, with schemathesis run for real."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import time
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


def _project(tmp_path: Path, kind: str, extra: str = "") -> Path:
    """A project holding the services' module, started as KIND; `app` names KIND's factory, so
    the handlers' lines can be found."""
    start = shlex.join(["python", SERVICES.name, kind, "--port", "{port}"])
    return write_project(tmp_path / kind, {
        SERVICES.name: SERVICES.read_text(encoding="utf-8"),
        "pyproject.toml": '[project]\nname = "svc"\nversion = "0"\n\n[tool.audit.api]\n'
        f"start = {json.dumps(start)}\nhealth = \"/health\"\nmax_examples = {EXAMPLES}\n"
        f"seed = {SEED}\napp = \"{SERVICES.stem}:{kind}\"\n" + extra,
    })


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


def test_an_undocumented_status_is_a_contract_violation(tmp_path: Path) -> None:
    code, card = _run(_project(tmp_path, "undocumented"), tmp_path / "out")
    assert code == 1
    values = _values(card)
    assert values["contract_violations"] >= 1
    assert values["server_errors"] == 0
    codes = {f["extra"]["code"] for f in gate(card, "api")["findings"]}
    assert "ST103" in codes


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
