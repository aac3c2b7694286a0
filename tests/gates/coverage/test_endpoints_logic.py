"""`endpoints_tested`'s pure parts: where its schema and application come from, what the
recorder's file holds, and which operations the routed requests reached."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from auditor.errors import GateError
from auditor.plugin import GateConfig, GateContext
from gates.coverage import endpoints, recording

pytestmark = pytest.mark.unit

NAMES = ["GET /items", "GET /items/{item_id}", "GET /items/new", "DELETE /items/{item_id}"]


def test_schema_and_app_default_to_the_api_gates() -> None:
    tables = {
        "api": {"schema": "/spec.json"},
        "load": {"start": "python -m uvicorn shop.main:app --port {port}"},
    }
    assert endpoints.inherit_api_keys({}, tables) == {
        "schema": "/spec.json",
        "app": "shop.main:app",
    }
    own = {"app": "other:app"}
    assert endpoints.inherit_api_keys(own, tables)["app"] == "other:app"
    assert endpoints.inherit_api_keys({}, {}) == {}


def _ctx(tmp_path: Path, **options: object) -> GateContext:
    config = GateConfig(thresholds={}, blocking={}, options=dict(options), timeout=60)
    return GateContext(
        root=tmp_path,
        python=Path("python"),
        workdir=tmp_path,
        out_dir=tmp_path,
        config=config,
        deadline=time.monotonic() + 60,
    )


def test_without_a_web_service_or_with_reused_data_it_is_skipped(tmp_path: Path) -> None:
    assert "no web service" in str(endpoints.plan(_ctx(tmp_path)))
    reused = _ctx(tmp_path, app="shop:app", data=["cov/.coverage"])
    assert "--coverage-data" in str(endpoints.plan(reused))
    planned = endpoints.plan(_ctx(tmp_path, app="shop:app"))
    assert planned == recording.Plan(None, None, "shop:app")


def test_a_request_counts_for_the_operation_the_application_routed_it_to() -> None:
    routed = [
        ("GET", "/items/{item_id}", "/items/7"),
        ("GET", None, "/api/items"),  # under a base path, no route template known
        ("POST", "/items", "/items"),  # no such operation
    ]
    assert endpoints.tested(NAMES, routed) == {"GET /items/{item_id}", "GET /items"}
    assert endpoints.tested(NAMES, [("GET", "/items/new", "/items/new")]) == {"GET /items/new"}


def test_a_damaged_recording_is_an_error_naming_the_field() -> None:
    with pytest.raises(GateError, match=r"routed"):
        endpoints.read_recording(
            b'{"routed": 3, "schema": null, "schema_error": null, "handlers": {}}'
        )
