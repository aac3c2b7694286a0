"""Operations that answered only 401/403 are outside every api condition's population: named in
a warning when few, and no measurement at all when most of the API (the real gate, at the end)."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import pytest

from auditor.model import Measurement, Population
from gates.api import parse
from gates.api.details import ApiDetails
from gates.api.unauthenticated import Reach, apply, locked_operations
from tests.helpers import FIXTURES, audit, condition, gate, write_project

OPERATIONS = ["GET /orders", "GET /orders/{id}", "POST /orders", "GET /health"]


def _answer(method: str, path: str, status: int) -> parse.Interaction:
    return parse.Interaction(
        case_id=f"{method}{path}{status}",
        method=method,
        uri=f"http://127.0.0.1:1{path}",
        request_headers={},
        request_body=None,
        status=status,
        response_headers={},
        response_body=b"",
    )


@pytest.mark.unit
def test_an_operation_is_locked_when_every_answer_was_401_or_403_or_schemathesis_says_so() -> None:
    answers = [
        _answer("GET", "/orders", 401),
        _answer("GET", "/orders", 403),
        _answer("POST", "/orders", 401),
        _answer("POST", "/orders", 201),
        _answer("GET", "/orders/7", 404),
        _answer("GET", "/health", 200),
    ]
    warned = ["GET /orders/{id}"]  # its 404s came from the router, before authentication
    assert locked_operations(answers, OPERATIONS, warned) == ("GET /orders", "GET /orders/{id}")


def _measurement() -> Measurement:
    return Measurement(
        values={"server_errors": 0.0, "auth_ignored": 0.0},
        skipped={"leaky_errors": "not among the `checks`"},
        populations={"operations": Population("operations fuzzed", 4)},
        details=ApiDetails(),
    )


@pytest.mark.unit
def test_a_few_locked_operations_leave_the_population_and_are_named_in_a_warning() -> None:
    result = apply(_measurement(), Reach(4, ("GET /orders",)), "operations")
    assert result.populations["operations"].size == 3
    assert result.values == {"server_errors": 0.0, "auth_ignored": 0.0}
    assert len(result.warnings) == 1
    assert "1 of 4 operations answered only 401/403 (GET /orders)" in result.warnings[0]
    assert "`headers` in [tool.audit.api]" in result.warnings[0]
    assert isinstance(result.details, ApiDetails)
    assert result.details.unauthenticated_operations == ("GET /orders",)


@pytest.mark.unit
def test_most_of_the_api_locked_leaves_every_measured_condition_unmeasured() -> None:
    locked = ("GET /a", "GET /b", "GET /c")
    result = apply(_measurement(), Reach(4, locked), "operations")
    assert result.values == {}
    assert set(result.unmeasured) == {"server_errors", "auth_ignored"}
    assert "so the API was not tested" in result.unmeasured["auth_ignored"]
    assert result.skipped == {"leaky_errors": "not among the `checks`"}
    assert not result.warnings


@pytest.mark.unit
def test_half_the_api_locked_is_still_judged() -> None:
    assert Reach(4, ("GET /a", "GET /b")).unmeasured() is None
    assert Reach(0, ()).warning() is None


@pytest.mark.slow
def test_an_api_whose_every_operation_needs_credentials_audited_without_them_is_an_error(
    tmp_path: Path,
) -> None:
    services = FIXTURES / "api_services.py"
    start = shlex.join(["python", services.name, "locked", "--port", "{port}"])
    root = write_project(
        tmp_path / "locked",
        {
            services.name: services.read_text(encoding="utf-8"),
            "pyproject.toml": '[project]\nname = "svc"\nversion = "0"\n\n[tool.audit.api]\n'
            f'start = {json.dumps(start)}\nhealth = "/health"\nmax_examples = 3\nseed = 7\n',
        },
    )
    code, card = audit(root, tmp_path / "out", gates="api", python=sys.executable)
    assert code == 3
    api = gate(card, "api")
    assert api["status"] == "error"
    assert api["details"]["unauthenticated_operations"] == ["GET /invoices", "GET /orders"]
    reason = condition(card, "api", "auth_ignored")["reason"]
    assert "2 of 3 operations answered only 401/403" in reason
