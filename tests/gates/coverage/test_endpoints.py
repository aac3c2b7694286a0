"""`endpoints_tested` in the suite's own run: requests the application routed, recorded inside
it, held against the operations of its OpenAPI schema."""

from __future__ import annotations

from pathlib import Path

from auditor.model import GateResult
from tests.helpers import run_gate, write_project

FASTAPI_APP = '''
from fastapi import FastAPI

app = FastAPI(title="shop")


@app.get("/items")
def list_items() -> list[int]:
    """Every item."""
    return [1]


@app.get("/items/{item_id}")
def read_item(item_id: int) -> int:
    """One item."""
    return item_id


@app.delete("/items/{item_id}")
def delete_item(item_id: int) -> int:
    """Forget one item."""
    return item_id
'''

FASTAPI_TESTS = """
from fastapi.testclient import TestClient

from shop.main import app, delete_item

client = TestClient(app)


def test_list() -> None:
    assert client.get("/items").json() == [1]


def test_read() -> None:
    assert client.get("/items/3").json() == 3


def test_a_405_reaches_no_operation() -> None:
    assert client.post("/items/3").status_code == 405


def test_the_handler_called_directly() -> None:
    assert delete_item(4) == 4
"""

FLASK_APP = """
from flask import Flask

app = Flask(__name__)


@app.get("/things/<int:thing_id>")
def read_thing(thing_id: int) -> dict[str, int]:
    return {"id": thing_id}


@app.put("/things/<int:thing_id>")
def put_thing(thing_id: int) -> dict[str, int]:
    return {"id": thing_id}
"""

FLASK_SCHEMA = """{"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {
 "/things/{thing_id}": {
  "parameters": [{"name": "thing_id", "in": "path", "required": true,
                  "schema": {"type": "integer"}}],
  "get": {"description": "One thing.", "responses": {"200": {"description": "it"}}},
  "put": {"description": "Replace it.", "responses": {"200": {"description": "it"}}}}}}
"""

FLASK_TESTS = """
from things import app


def test_read() -> None:
    assert app.test_client().get("/things/2").json == {"id": 2}
"""


def _fastapi(tmp_path: Path) -> Path:
    return write_project(
        tmp_path / "shop",
        {
            "pyproject.toml": '[project]\nname = "shop"\nversion = "0"\n\n'
            '[tool.audit.api]\nstart = "python -m uvicorn shop.main:app --port {port}"\n'
            '[tool.coverage.run]\nsource = ["shop"]\n',
            "shop/__init__.py": "",
            "shop/main.py": FASTAPI_APP,
            "tests/test_shop.py": FASTAPI_TESTS,
        },
    )


def _condition(result: GateResult) -> tuple[float | None, int | None]:
    found = next(c for c in result.conditions if c.id == "endpoints_tested")
    return found.value, found.population.size if found.population else None


def test_an_operation_whose_handler_is_only_called_as_a_function_is_untested(
    tmp_path: Path,
) -> None:
    """Three operations, tests sending requests to two (and a 405 to a method a path does not
    have); the third's handler called directly: 66.67%, naming the third at its handler."""
    result = run_gate("coverage", _fastapi(tmp_path), tmp_path / "out")
    assert _condition(result) == (66.67, 3)
    untested = [f for f in result.findings if f.rule == "endpoint-untested"]
    assert [f.message.split(":")[0] for f in untested] == ["DELETE /items/{item_id}"]
    assert untested[0].path == "shop/main.py"
    decorator = FASTAPI_APP.splitlines().index('@app.delete("/items/{item_id}")') + 1
    assert untested[0].line == decorator
    endpoints = getattr(result.details, "endpoints", None)
    assert endpoints is not None
    assert endpoints.untested == ("DELETE /items/{item_id}",)
    assert (endpoints.operations, endpoints.tested) == (3, 2)


def test_a_flask_app_is_recorded_by_its_url_rules(tmp_path: Path) -> None:
    root = write_project(
        tmp_path / "things",
        {
            "pyproject.toml": '[project]\nname = "things"\nversion = "0"\n\n'
            '[tool.audit.coverage]\nschema = "openapi.json"\napp = "things:app"\n'
            '[tool.coverage.run]\nsource = ["things"]\n',
            "things.py": FLASK_APP,
            "openapi.json": FLASK_SCHEMA,
            "tests/test_things.py": FLASK_TESTS,
        },
    )
    result = run_gate("coverage", root, tmp_path / "out")
    assert _condition(result) == (50.0, 2)
    untested = [f for f in result.findings if f.rule == "endpoint-untested"]
    assert [f.message.split(":")[0] for f in untested] == ["PUT /things/{thing_id}"]
    assert untested[0].path == "things.py"
