"""The load gate's typed details: a round trip through JSON, an old scorecard's details read, and
damaged details refused with the bad field named."""

from __future__ import annotations

import json
import re
from typing import Any

import msgspec
import pytest

from auditor.model import GateResult, ToolRun
from gates.load.details import (
    Bounds,
    ConditionStatistics,
    DatabaseDetails,
    DbStage,
    DbStatement,
    EndpointFigures,
    LoadDetails,
    LoadGenerator,
    StageFigures,
)
from gates.load.view import LoadReportView
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


def _database() -> DatabaseDetails:
    statement = DbStatement(text="SELECT ?", count=50, total_ms=25.0, mean_ms=0.5, max_ms=4.0,
                            n_plus_one=True, per_request=5.0, histogram=(40, 10))
    stage = DbStage(statements=50, distinct=1, total_ms=25.0, avg_ms=0.5, max_ms=4.0,
                    requests=10, top=(statement,), n_plus_one=(statement,), per_request=5.0,
                    window=(1.0, 2.5))
    return DatabaseDetails(mode="python", source="the instrumentation", overhead_us=1.2,
                           hooked=("sqlite3",), n_plus_one_per_request=5.0,
                           stages={"normal": stage}, histogram_bounds_ms=(1.0,))


def test_details_survive_a_round_trip_through_json() -> None:
    details = LoadDetails(
        model="open", stages={"normal": _stage(200), "peak": _stage(2000)},
        repeats=({"normal": _stage(100), "peak": _stage(1000)},) * 2,
        statistics={"error_rate": ConditionStatistics(200, 0.0, 1.8, "exact binomial", False,
                                                      3688)},
        confidence="strict", notes=("a note",), request_timeout_s=10.0,
        load_generator=LoadGenerator(processes=2, workers=0), database=_database(),
    )
    data = json.loads(msgspec.json.encode(details))
    assert msgspec.convert(data, LoadDetails) == details
    assert data["load_generator"] == {"processes": 2, "workers": 0}
    # Figures are written whole, a zero or an unknown figure included, as they always were.
    assert data["stages"]["normal"]["late"] == 0
    assert data["stages"]["normal"]["endpoints"][0]["p95_ms"] is None
    # The database records write only what applies.
    assert "error" not in data["database"]
    assert data["database"]["stages"]["normal"]["top"][0]["n_plus_one"] is True


def test_an_old_scorecards_load_details_are_read() -> None:
    card = json.loads((FIXTURES / "reports" / "full.json").read_text())
    data = next(g for g in card["gates"] if g["id"] == "load")["details"]
    details = msgspec.convert(data, LoadDetails)
    assert details.stages["normal"].requests == data["stages"]["normal"]["requests"]
    assert details.statistics == {}
    # No model recorded (older than the open model): the report shows the closed model.
    result = GateResult(id="load", title="Load", status="passed", score=100.0, duration_s=1.0,
                        reason=None, tool=ToolRun("locust", "2.x"), conditions=[], findings=[],
                        details=details)
    view = LoadReportView().build(result)
    assert view is not None
    assert view.model == "closed"


@pytest.mark.parametrize(("data", "where"), [
    ({"stages": None}, "$.stages"),
    ({"statistics": []}, "$.statistics"),
    ({"repeats": {"a": 1}}, "$.repeats"),
    ({"notes": "x"}, "$.notes"),
    ({"stages": {"normal": {"requests": "many"}}}, "$.stages[...].requests"),
    ({"stages": {"normal": {"p95_bounds": 3}}}, "$.stages[...].p95_bounds"),
    ({"stages": {"normal": {"endpoints": [1, None]}}}, "$.stages[...].endpoints[0]"),
    ({"statistics": {"p95_ms": {"samples": True}}}, "$.statistics[...].samples"),
    ({"statistics": {"p95_ms": {"needed_requests": "lots"}}},
     "$.statistics[...].needed_requests"),
    ({"load_generator": {"processes": 2, "threads": 4}}, "$.load_generator"),
    ({"database": {"mode": "python"}}, "$.database"),
    ({"database": {"mode": "python", "source": "x", "stages": {"normal": {"statements": 1}}}},
     "$.database.stages[...]"),
])
def test_damaged_details_are_refused_naming_the_field(data: dict[str, Any], where: str) -> None:
    with pytest.raises(msgspec.ValidationError, match=rf"- at `{re.escape(where)}`$"):
        msgspec.convert(data, LoadDetails)
