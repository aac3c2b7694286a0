"""The load gate's Measurement from its stages' records: the values (medians over repeats), why a
condition has none, and the notes and warnings, in the order a reader meets them."""

from __future__ import annotations

import pytest

from auditor.model import Measurement
from gates.load import locust_run, measure
from gates.load.details import LoadDetails
from gates.load.gate import LoadGate
from gates.load.settings import LoadSettings, parse
from gates.load.stage_stats import FailureSeen, Samples, StageRecord

pytestmark = pytest.mark.unit

THRESHOLDS = {c.id: float(c.default) for c in LoadGate.conditions}
EXIT = "the service exited with code 3 during the load; its last lines: fatal"


def _samples(name: str, requests: int, failures: int = 0, latency_ms: int = 20,
             timeouts: int = 0) -> Samples:
    return Samples("GET", name, requests, failures, {latency_ms: requests}, float(latency_ms),
                   timeouts)


def _record(*endpoints: Samples, scheduled: int | None = None) -> StageRecord:
    requests = sum(e.requests for e in endpoints)
    failures = sum(e.failures for e in endpoints)
    histogram: dict[int, int] = {}
    for e in endpoints:
        for value, count in e.histogram.items():
            histogram[value] = histogram.get(value, 0) + count
    total = Samples("", "Aggregated", requests, failures, histogram,
                    max(e.max_ms for e in endpoints), sum(e.timeouts for e in endpoints))
    seen = tuple(FailureSeen("GET", e.name, "HTTP 500, expected 2xx", e.failures)
                 for e in endpoints if e.failures)
    return StageRecord(total, endpoints, seen, scheduled=requests if scheduled is None
                       else scheduled, late=0, in_flight_left=0, cpu_warning=False, run_s=10.0)


def _settings(**options: object) -> LoadSettings:
    return parse({"start": "app {port}", "endpoints": [{"path": "/items"}], "duration": 10,
                  **options})


def _judge(settings: LoadSettings, repeats: list[tuple[StageRecord, StageRecord]],
           service_exit: str | None = None) -> Measurement:
    return measure.judge(settings, THRESHOLDS, repeats, base=LoadDetails(), tool_version="2.x",
                         service_exit=service_exit)


def _details(found: Measurement) -> LoadDetails:
    assert isinstance(found.details, LoadDetails)
    return found.details


def test_each_value_is_the_median_over_the_repeats() -> None:
    repeats = [
        (_record(_samples("/items", 100, latency_ms=latency)),
         _record(_samples("/items", 1000, latency_ms=latency)))
        for latency in (30, 10, 20)
    ]
    found = _judge(_settings(wait="constant_throughput(1)", repeats=3), repeats)
    assert found.values["p95_ms"] == 20.0
    assert found.values["peak_p95_ms"] == 20.0
    assert found.values["peak_throughput"] == 100.0
    assert found.populations["normal"].size == 300
    assert found.populations["peak"].size == 3000
    assert len(_details(found).repeats) == 3
    assert _details(found).stages["normal"].requests == 300


def test_a_condition_without_a_figure_says_why() -> None:
    few = _record(_samples("/items", 5))
    found = _judge(_settings(), [(few, _record(_samples("/items", 50)))])
    assert "endpoint_p95_ms" not in found.values
    assert "no endpoint had 10 requests" in found.skipped["endpoint_p95_ms"]
    # Unpaced, the peak's offered rate is the normal stage's achieved one, scaled: none here.
    failing = _record(_samples("/items", 100, failures=100))
    found = _judge(_settings(wait="none"), [(failing, _record(_samples("/items", 1000)))])
    assert found.skipped["peak_throughput"] == "the normal stage achieved no successful request"


def test_notes_and_warnings_come_in_the_order_a_reader_meets_them() -> None:
    normal = _record(_samples("/items", 150), _samples("/report", 50, failures=2, timeouts=1,
                                                       latency_ms=600))
    peak = _record(_samples("/items", 1500), _samples("/report", 500))
    found = _judge(_settings(wait="between(0.5, 1)"), [(normal, peak)], EXIT)
    named_p95 = "`endpoint_p95_ms` is GET /report's"
    named_errors = "`endpoint_error_rate` is GET /report's"
    assert _details(found).notes == (
        locust_run.ROUNDING_NOTE, measure.CLOSED_NOTE, named_p95, named_errors,
        "the service exited with code 3 during the load",
    )
    unsettled = [w for w in found.warnings if "reaches over the threshold" in w]
    assert unsettled
    assert found.warnings[:len(unsettled)] == unsettled
    assert found.warnings[len(unsettled):] == [
        measure.CLOSED_NOTE,
        f"{named_p95}: p95 600 ms",
        f"{named_errors}: 2 of 50 requests failed, 1 of them timeouts",
        EXIT,
    ]
    assert found.inconclusive == {}


def test_strict_confidence_turns_open_verdicts_into_inconclusive_ones() -> None:
    repeats = [(_record(_samples("/items", 200)), _record(_samples("/items", 2000)))]
    estimate = _judge(_settings(wait="constant_throughput(1)"), repeats)
    strict = _judge(_settings(wait="constant_throughput(1)", confidence="strict"), repeats)
    assert estimate.inconclusive == {}
    # 200 requests bound no p99 and show no error rate under 0.1%; 2,000 at peak neither.
    assert list(strict.inconclusive) == [
        "p99_ms", "error_rate", "peak_error_rate", "endpoint_error_rate",
    ]
    assert list(strict.inconclusive.values()) == estimate.warnings
    assert strict.warnings == []
    assert strict.values == estimate.values


def test_a_stage_that_did_not_hold_its_rate_is_a_warning() -> None:
    normal = _record(_samples("/items", 200), scheduled=200)
    # The open model offered 20 requests/s at peak; half were answered.
    peak = _record(_samples("/items", 100), scheduled=200)
    found = _judge(_settings(rate=20, peak_factor=1), [(normal, peak)])
    assert found.values["peak_throughput"] == 50.0
    held = [w for w in found.warnings if w.startswith("the peak stage did not hold its rate")]
    assert held == ["the peak stage did not hold its rate: achieved 10.0 of 20.0 requests/s "
                    "offered (50%)"]
    assert measure.CLOSED_NOTE not in _details(found).notes
