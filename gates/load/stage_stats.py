"""Reading one stage's `<prefix>_audit.json`: locust's own serialized statistics, per endpoint.

The file holds `StatsEntry.serialize()` of every endpoint and of the total (request and failure
counts, the response-time histogram locust keeps, rounded as in its CSV: exact below 100 ms, to
10 ms up to 1 s, to 100 ms above), its serialized errors, and the counts the generated locustfile
keeps: requests sent and those the generator sent late, requests still in flight when the stage was
written, and whether locust warned that its CPU was saturated. Percentiles are computed from the
histogram with locust's own rule, so they equal the figures in its CSV.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import msgspec

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
    """Seconds the stage's load actually ran (the shape switches stages on whole-second ticks)."""
    missed: int = 0
    """Closed model with a pacing schedule: intended starts due in the stage but never sent
    because the user was held by a slow answer; scheduled + missed is what the schedule
    offered."""

    def duration(self, configured_s: float) -> float:
        return self.run_s if self.run_s > 0 else configured_s


class _Entry(msgspec.Struct):
    """locust's `StatsEntry.serialize()` (locust/stats.py, StatsEntryDict): the fields read."""

    method: str
    """The total's is empty."""
    name: str
    num_requests: int
    num_failures: int
    response_times: dict[float, int]
    """Rounded response time (ms; a JSON key, `120` or `120.0`) -> number of requests."""
    max_response_time: float


class _Error(msgspec.Struct):
    """locust's `StatsError.serialize()` (StatsErrorDict): the fields read."""

    method: str
    name: str
    error: str
    occurrences: int


class _StageFile(msgspec.Struct):
    """`<prefix>_audit.json` as the generated locustfile's `_write_stage` writes it
    (gates/load/locustfile/source.py): every field, always."""

    entries: list[_Entry]
    total: _Entry
    errors: list[_Error]
    scheduled: int
    late: int
    missed: int
    in_flight_left: int
    run_s: float
    cpu_warning: bool


def _samples(entry: _Entry, timeouts: int = 0) -> Samples:
    return Samples(
        method=entry.method,
        name=entry.name,
        requests=entry.num_requests,
        failures=entry.num_failures,
        histogram={int(value): count for value, count in entry.response_times.items()},
        max_ms=float(int(entry.max_response_time)),
        timeouts=timeouts,
    )


def _decode(text: str, where: str) -> _StageFile:
    try:
        return msgspec.json.decode(text, type=_StageFile)
    except msgspec.ValidationError as exc:
        raise GateError(
            f"{where} is not the statistics the generated locustfile writes: {exc}"
        ) from None
    except msgspec.DecodeError as exc:
        raise GateError(f"{where} is not valid JSON ({exc})") from None


def parse(text: str, where: str) -> StageRecord:
    """A stage's record from the text of its `_audit.json`; GateError naming the field when a
    field is missing or of the wrong type."""
    data = _decode(text, where)
    failures = tuple(
        FailureSeen(method=e.method, name=e.name, error=e.error, count=e.occurrences)
        for e in data.errors
    )
    timeouts: dict[tuple[str, str], int] = {}
    for failure in failures:
        if TIMEOUT_MARK in failure.error:
            key = (failure.method, failure.name)
            timeouts[key] = timeouts.get(key, 0) + failure.count
    entries = tuple(_samples(e, timeouts.get((e.method, e.name), 0)) for e in data.entries)
    return StageRecord(
        total=_samples(data.total, sum(timeouts.values())),
        endpoints=tuple(e for e in entries if e.requests > 0),
        failures_seen=failures,
        scheduled=data.scheduled,
        late=data.late,
        in_flight_left=data.in_flight_left,
        cpu_warning=data.cpu_warning,
        run_s=data.run_s,
        missed=data.missed,
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
