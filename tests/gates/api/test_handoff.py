"""The api gate's own handoff conditions on saved inputs: what an OpenAPI document documents and
declares, the undeclared statuses of recorded responses, and what `--new-code` judges."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.newcode import NewCode
from gates import openapi
from gates.api import documentation, handoff, parse, reproduce, statuses, tally
from gates.api.details import FailingOperation, Problem
from gates.api.settings import CHECK_GROUPS

pytestmark = pytest.mark.unit

DOCUMENT = {
    "openapi": "3.1.0",
    "info": {"title": "shop", "version": "1"},
    "components": {
        "parameters": {"Limit": {"name": "limit", "in": "query", "schema": {"type": "integer"}}},
        "requestBodies": {"Raw": {"content": {"application/json": {"schema": {}}}}},
    },
    "paths": {
        "/items": {
            "get": {
                "summary": "Read Items",
                "operationId": "read_items_items_get",
                "parameters": [{"$ref": "#/components/parameters/Limit"}],
                "responses": {"200": {"description": "ok"}},
            },
            "post": {
                "summary": "Add an item to the shelf",
                "operationId": "add_items_post",
                "requestBody": {"$ref": "#/components/requestBodies/Raw"},
                "responses": {"201": {"description": "made"}, "4XX": {"description": "no"}},
            },
        },
        "/items/{item_id}": {
            "parameters": [
                {"name": "item_id", "in": "path", "required": True, "schema": {"title": "Item Id"}}
            ],
            "get": {"description": "One item.", "responses": {"default": {"description": "it"}}},
            "delete": {
                "description": "Forget it.",
                "parameters": [
                    {
                        "name": "item_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer"},
                    }
                ],
                "responses": {"204": {"description": "gone"}},
            },
        },
    },
}


def _operations() -> dict[str, openapi.Operation]:
    return {op.name: op for op in openapi.decode(json.dumps(DOCUMENT), "saved")}


def test_a_summary_made_from_the_function_name_is_no_documentation() -> None:
    ops = _operations()
    assert not ops["GET /items"].documented
    assert ops["POST /items"].documented
    assert ops["GET /items/{item_id}"].documented
    assert openapi.generated_summary("Read Item", "read_item_items__item_id__get")
    assert not openapi.generated_summary("Read one item", "read_item_items__item_id__get")


def test_parameters_and_bodies_without_a_schema_are_named() -> None:
    ops = _operations()
    assert ops["POST /items"].unschematised == ("request body",)
    assert ops["GET /items/{item_id}"].unschematised == ("path parameter item_id",)
    assert ops["DELETE /items/{item_id}"].unschematised == ()  # its own parameter wins
    assert ops["GET /items"].unschematised == ()  # through its $ref
    found = documentation.found(ops.values())
    assert [(f.operation, f.problem.title) for f in found] == [
        ("GET /items", "no description"),
        ("POST /items", "no schema for its request body"),
        ("GET /items/{item_id}", "no schema for its path parameter item_id"),
    ]


def test_a_yaml_schema_with_numeric_status_keys_is_read() -> None:
    text = (
        "openapi: 3.0.3\npaths:\n  /x:\n    get:\n      description: x\n"
        "      responses:\n        200:\n          description: ok\n"
    )
    [op] = openapi.decode(text, "openapi.yaml")
    assert op.responses == ("200",)
    assert op.declares(200)
    assert not op.declares(404)


def test_statuses_declare_exactly_by_class_or_by_default() -> None:
    ops = _operations()
    assert ops["POST /items"].declares(422)
    assert not ops["POST /items"].declares(500)
    assert ops["GET /items/{item_id}"].declares(418)


def _answer(method: str, path: str, status: int, body: bytes | None = None) -> parse.Interaction:
    return parse.Interaction(
        case_id=f"{method}{path}{status}{body!r}",
        method=method,
        uri=f"http://127.0.0.1:1{path}",
        request_headers={},
        request_body=body,
        status=status,
        response_headers={},
        response_body=b"",
    )


def test_each_undeclared_status_of_an_operation_is_one_problem_with_its_smallest_request() -> None:
    answers = [
        _answer("DELETE", "/items/7", 404),
        _answer("DELETE", "/items/123456", 404),
        _answer("DELETE", "/items/8", 204),
        _answer("DELETE", "/items/9", 500),  # a server error, counted there
        _answer("PUT", "/items/7", 405),  # a method the path does not have: no operation
        _answer("POST", "/items", 400, b"{"),
        _answer("POST", "/items", 201, b"{}"),
    ]
    found = statuses.found(answers, list(_operations().values()), reproduce.Secrets())
    assert [(f.operation, f.problem.status) for f in found] == [("DELETE /items/{item_id}", 404)]
    assert found[0].problem.curl == "curl -X DELETE http://127.0.0.1:1/items/7"


def test_an_undocumented_status_is_no_longer_a_contract_violation() -> None:
    assert parse.condition_of("ST103") == "undeclared_statuses"
    assert "status_code_conformance" not in CHECK_GROUPS["contract_violations"]
    assert CHECK_GROUPS["undeclared_statuses"] == ("status_code_conformance",)


def _problem(condition: str) -> Problem:
    return Problem(condition=condition, code="c", title="t", check=condition, status=None, curl="")


def test_under_new_code_only_operations_whose_handler_changed_are_judged(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(
        "@app.get('/a')\ndef a():\n    return 1\n\n\n@app.get('/b')\ndef b():\n    return 2\n",
        encoding="utf-8",
    )
    operations = [
        openapi.Operation("GET /a", False, (), ()),
        openapi.Operation("GET /b", False, (), ()),
    ]
    handlers = handoff.handlers(tmp_path, {"GET /a": ("app.py", 1), "GET /b": ("app.py", 6)})
    assert handlers["GET /a"] == openapi.Handler("app.py", 1, 3)
    found = {
        "GET /a": [_problem("undocumented_operations"), _problem("server_errors")],
        "GET /b": [_problem("undocumented_operations")],
    }
    change = NewCode("main", "abc", {"app.py": frozenset({8})})
    scope = handoff.scoped(found, operations, handlers, change)
    assert scope.population.size == 1
    assert scope.lines == {"GET /b": 8}
    assert [p.condition for p in scope.found["GET /a"]] == ["server_errors"]
    assert len(scope.found["GET /b"]) == 1
    untouched = handoff.scoped(
        found, operations, handlers, NewCode("main", "abc", {"other.py": frozenset({1})})
    )
    assert untouched.skipped == "the change since main touches no operation's handler"


def test_the_gates_own_figures_count_problems_beside_schemathesiss() -> None:
    report = parse.parse_run_report(
        {
            "schemathesis_version": "4",
            "seed": 1,
            "stop_reason": "completed",
            "complete": True,
            "operations": {"selected": 1, "tested": 1},
            "test_cases": {"generated": 3},
            "failures": [
                {
                    "code": "ST103",
                    "title": "Undocumented HTTP status code",
                    "count": 1,
                    "operations": ["GET /x"],
                }
            ],
            "errors": [],
            "warnings": {"rate_limited": []},
        }
    )
    failing = [
        FailingOperation(
            "GET /x",
            "",
            None,
            (
                _problem("undeclared_statuses"),
                _problem("undeclared_statuses"),
                _problem("undocumented_operations"),
            ),
        )
    ]
    figures = {
        t.condition: t
        for t in tally.tallies(
            report,
            failing,
            ["contract_violations", "undeclared_statuses", "undocumented_operations"],
        )
    }
    assert figures["contract_violations"].value == 0
    assert (figures["undeclared_statuses"].value, figures["undeclared_statuses"].schemathesis) == (
        2,
        1,
    )
    assert figures["undocumented_operations"].schemathesis is None


def test_a_request_belongs_to_the_operation_at_the_base_path_never_to_a_shorter_one() -> None:
    names = ["POST /orders", "GET /items/{item_id}/orders"]
    assert openapi.match_path("POST", "/items/7/orders", names, base="") is None
    assert openapi.match_path("GET", "/api/items/7/orders", names, base="/api") == names[1]
    answers = [_answer("POST", "/items/7/orders", 405)]
    operations = [openapi.Operation(name, True, (), ("201",)) for name in names]
    assert statuses.undeclared(answers, operations) == {}
