"""The load gate's typed details: a round trip through JSON, and old or damaged scorecards read
without an exception."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gates.load.details import (
    Bounds,
    ConditionStatistics,
    EndpointFigures,
    LoadDetails,
    StageFigures,
)
from tests.helpers import FIXTURES

pytestmark = pytest.mark.unit


def _stage(requests: int) -> StageFigures:
    return StageFigures(
        users=10, duration_s=20.0, requests=requests, failures=1, timeouts=1, rps=9.9,
        offered_rps=10.0, achieved_rps=9.8, scheduled=requests, late=0, error_rate=0.5,
        p50_ms=12.0, p95_ms=40.0, p99_ms=80.0, max_ms=120.5,
        p95_bounds=Bounds(35.0, 44.0), p99_bounds=Bounds(70.0, None),
        error_bounds=Bounds(0.01, 2.7),
        endpoints=(EndpointFigures(method="GET", name="/items", requests=requests,
                                   verdict="passed"),),
    )


def test_details_survive_a_round_trip_through_json() -> None:
    details = LoadDetails(
        model="open", stages={"normal": _stage(200), "peak": _stage(2000)},
        repeats=({"normal": _stage(100), "peak": _stage(1000)},) * 2,
        statistics={"error_rate": ConditionStatistics(200, 0.0, 1.8, "exact binomial", False,
                                                      3688)},
        confidence="strict", notes=("a note",), processes=2, request_timeout_s=10.0,
    )
    data = json.loads(json.dumps(details.to_dict()))
    assert LoadDetails.from_dict(data) == details
    assert data["load_generator"] == {"processes": 2, "workers": 0}


def test_an_old_scorecards_load_details_are_read() -> None:
    card = json.loads((FIXTURES / "reports" / "full.json").read_text())
    data = next(g for g in card["gates"] if g["id"] == "load")["details"]
    details = LoadDetails.from_dict(data)
    assert details.stages["normal"].requests == data["stages"]["normal"]["requests"]
    assert details.statistics == {}
    assert details.model == "closed"


@pytest.mark.parametrize("data", [
    {},
    {"stages": None, "statistics": [], "repeats": {"a": 1}, "notes": "x"},
    {"stages": {"normal": {"requests": "many", "p95_bounds": 3, "endpoints": [1, None]}}},
    {"statistics": {"p95_ms": {"samples": True, "needed_requests": "lots"}}},
])
def test_damaged_details_never_raise(data: dict[str, Any]) -> None:
    details = LoadDetails.from_dict(data)
    # What it kept reads back as itself.
    assert LoadDetails.from_dict(details.to_dict()) == details
