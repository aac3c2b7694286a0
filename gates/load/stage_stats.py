"""Reading one stage's `<prefix>_audit.json`: locust's own serialized statistics, per endpoint.

The file holds `StatsEntry.serialize()` of every endpoint and of the total (request and failure
counts, the response-time histogram locust keeps, rounded as in its CSV: exact below 100 ms, to
10 ms up to 1 s, to 100 ms above), its serialized errors, and the counts the generated locustfile
keeps: requests sent and those the generator sent late, requests still in flight when the stage was
written, and whether locust warned that its CPU was saturated. Percentiles are computed from the
histogram with locust's own rule, so they equal the figures in its CSV.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor.errors import GateError
from gates.load import confidence

TIMEOUT_MARK = "timeout: no answer within"
"""How the generated locustfile words a request that timed out (inside locust's error text)."""


@dataclass(frozen=True)
class Samples:
    """One endpoint's (or the total's) requests in a stage."""

    method: str
    name: str
    requests: int
    failures: int
    histogram: Mapping[int, int]
    """Response time (ms, rounded as locust rounds) -> number of requests."""
    max_ms: float
    timeouts: int = 0

    def percentile(self, quantile: float) -> float:
        """locust's `calculate_response_time_percentile`: the same figure its CSV shows."""
        timed = sum(self.histogram.values())
        wanted = int(timed * quantile)
        processed = 0
        for value in sorted(self.histogram, reverse=True):
            processed += self.histogram[value]
            if timed - processed <= wanted:
                return float(value)
        return 0.0

    def interval(self, quantile: float) -> confidence.Interval:
        return confidence.percentile_interval(self.histogram, quantile)

    @property
    def error_rate(self) -> float:
        """Failed requests, percent."""
        return 100.0 * self.failures / self.requests if self.requests else 0.0

    def error_interval(self) -> confidence.Interval:
        """95% interval of the error rate, percent."""
        found = confidence.binomial_interval(self.failures, self.requests)
        return confidence.Interval(100 * found.low, 100 * (found.high or 1.0))


@dataclass(frozen=True)
class FailureSeen:
    """One kind of failure locust grouped, with its count."""

    method: str
    name: str
    error: str
    count: int


@dataclass(frozen=True)
class StageRecord:
    """What one stage measured."""

    total: Samples
    endpoints: tuple[Samples, ...]
    failures_seen: tuple[FailureSeen, ...]
    scheduled: int
    """Requests the generated scenario sent during the stage (0 for a target's locustfile)."""
    late: int
    """Of those, sent more than the tolerance after their intended time through the generator's
    own lag (not because an earlier answer was slow)."""
    in_flight_left: int
    """Requests still unanswered when the stage was written (after waiting up to the timeout)."""
    cpu_warning: bool
    run_s: float = 0.0
    missed: int = 0
    """Closed model with a pacing schedule: intended starts due in the stage but never sent
    because the user was held by a slow answer; scheduled + missed is what the schedule
    offered."""
    """Seconds the stage's load actually ran (the shape switches stages on whole-second ticks)."""

    def duration(self, configured_s: float) -> float:
        return self.run_s if self.run_s > 0 else configured_s


def _int(value: object) -> int:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0


def _histogram(value: object) -> dict[int, int]:
    if not isinstance(value, Mapping):
        return {}
    found: dict[int, int] = {}
    for key, count in value.items():
        try:
            found[int(float(key))] = _int(count)
        except ValueError:
            continue
    return found


def _samples(entry: Mapping[str, Any], timeouts: int = 0) -> Samples:
    return Samples(
        method=str(entry.get("method") or ""),
        name=str(entry.get("name") or ""),
        requests=_int(entry.get("num_requests")),
        failures=_int(entry.get("num_failures")),
        histogram=_histogram(entry.get("response_times")),
        max_ms=float(_int(entry.get("max_response_time"))),
        timeouts=timeouts,
    )


def parse(text: str, where: str) -> StageRecord:
    """A stage's record from the text of its `_audit.json`."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise GateError(f"{where} is not valid JSON ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("total"), dict):
        raise GateError(f"{where} holds no statistics; the locustfile's format was not recognised")
    errors = [e for e in data.get("errors") or [] if isinstance(e, dict)]
    failures = tuple(
        FailureSeen(
            method=str(e.get("method") or ""), name=str(e.get("name") or ""),
            error=str(e.get("error") or ""), count=_int(e.get("occurrences")),
        )
        for e in errors
    )
    timeouts: dict[tuple[str, str], int] = {}
    for failure in failures:
        if TIMEOUT_MARK in failure.error:
            key = (failure.method, failure.name)
            timeouts[key] = timeouts.get(key, 0) + failure.count
    entries = tuple(
        _samples(e, timeouts.get((str(e.get("method")), str(e.get("name"))), 0))
        for e in data.get("entries") or [] if isinstance(e, dict)
    )
    return StageRecord(
        total=_samples(data["total"], sum(timeouts.values())),
        endpoints=tuple(e for e in entries if e.requests > 0),
        failures_seen=failures,
        scheduled=_int(data.get("scheduled")),
        late=_int(data.get("late")),
        in_flight_left=_int(data.get("in_flight_left")),
        cpu_warning=data.get("cpu_warning") is True,
        run_s=float(data["run_s"]) if isinstance(data.get("run_s"), int | float) else 0.0,
        missed=_int(data.get("missed")),
    )


def read(prefix: Path, stage: str) -> StageRecord:
    """The record the locustfile wrote for one stage under `prefix`."""
    path = prefix.with_name(prefix.name + "_audit.json")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        raise GateError(f"locust wrote no statistics for the {stage} stage ({path.name})") from None
    record = parse(text, f"the {stage} stage's {path.name}")
    if record.total.requests == 0:
        raise GateError(f"locust made no request during the {stage} stage")
    return record
