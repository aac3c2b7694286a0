"""From the stages' records to the load conditions' values, their samples and 95% intervals.

Each condition is judged on one figure: p95/p99/error rate of the normal stage's total, of the
peak stage's total, the worst endpoint's at normal load, and the peak's achieved share of its
offered rate. With `repeats` the value is the median over the repeats and the interval is that
of all repeats pooled. An interval that reaches over the threshold leaves the verdict open:
under `confidence = "estimate"` the measured value is judged and a warning names the run length
that would settle it; under `"strict"` the condition is `inconclusive`.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import msgspec

from auditor.scoring import compare
from gates.load import confidence
from gates.load.details import (
    Bounds,
    ConditionStatistics,
    EndpointFigures,
    FailureFigures,
    StageFigures,
)
from gates.load.stage_stats import FailureSeen, Samples, StageRecord

MIN_ENDPOINT_REQUESTS = 10
"""Below this many requests an endpoint's p95 (its slowest request, near enough) is not judged;
its failures are: any failed request already counts against an error-rate target."""
LATE_SHARE_LIMIT = 0.01
"""More arrivals than this share sent late and the stage did not hold its rate."""


@dataclass(frozen=True)
class StageLoad:
    """What a stage was asked to do."""

    users: int
    duration_s: float
    offered_rps: float | None


def merge(records: Sequence[StageRecord]) -> StageRecord:
    """All repeats of one stage as one record: counts added, histograms pooled."""
    if len(records) == 1:
        return records[0]

    def pooled(parts: Sequence[Samples]) -> Samples:
        histogram: dict[int, int] = {}
        for part in parts:
            for value, count in part.histogram.items():
                histogram[value] = histogram.get(value, 0) + count
        return Samples(
            parts[0].method, parts[0].name, sum(p.requests for p in parts),
            sum(p.failures for p in parts), histogram, max(p.max_ms for p in parts),
            sum(p.timeouts for p in parts),
        )

    keys = list(dict.fromkeys((e.method, e.name) for r in records for e in r.endpoints))
    failures: dict[tuple[str, str, str], int] = {}
    for record in records:
        for seen in record.failures_seen:
            key = (seen.method, seen.name, seen.error)
            failures[key] = failures.get(key, 0) + seen.count
    return StageRecord(
        total=pooled([r.total for r in records]),
        endpoints=tuple(
            pooled([e for r in records for e in r.endpoints if (e.method, e.name) == key])
            for key in keys
        ),
        failures_seen=tuple(FailureSeen(m, n, e, c) for (m, n, e), c in failures.items()),
        scheduled=sum(r.scheduled for r in records),
        late=sum(r.late for r in records),
        in_flight_left=sum(r.in_flight_left for r in records),
        cpu_warning=any(r.cpu_warning for r in records),
        run_s=sum(r.run_s for r in records),
        missed=sum(r.missed for r in records),
    )


def generator_lag(stages: Sequence[tuple[str, StageRecord]]) -> str | None:
    """Why the generator's own lag makes the figures untrustworthy, or None: more than 1% of a
    stage's requests left late without an earlier slow answer to blame."""
    for name, record in stages:
        if record.scheduled and record.late > LATE_SHARE_LIMIT * record.scheduled:
            return (
                f"the load generator fell behind its schedule: {record.late} of "
                f"{record.scheduled} requests of the {name} stage "
                f"({100 * record.late / record.scheduled:.1f}%) left late, so their latency is "
                "partly the generator's; spread the load over more processes (`processes = N` in "
                "[tool.audit.load]) or machines (`expect_workers`), or lower `users`/`rate`"
            )
    return None


def _bounds(interval: confidence.Interval) -> Bounds:
    return Bounds(interval.low, interval.high)


def _endpoint(samples: Samples, duration_s: float, p95_limit: float,
              error_limit: float) -> EndpointFigures:
    few = samples.requests < MIN_ENDPOINT_REQUESTS
    slow = not few and not compare(samples.percentile(0.95), "<", p95_limit)
    failing = not compare(round(samples.error_rate, 2), "<", error_limit)
    verdict = ", ".join(
        [*(["p95 over its target"] if slow else []),
         *(["error rate over its target"] if failing else [])]
    )
    if few:
        judged = f"too few requests to judge its p95 ({samples.requests} < {MIN_ENDPOINT_REQUESTS})"
        verdict = f"{verdict}; {judged}" if verdict else judged
    verdict = verdict or "passed"
    return EndpointFigures(
        method=samples.method, name=samples.name, requests=samples.requests,
        failures=samples.failures, timeouts=samples.timeouts,
        median_ms=samples.percentile(0.5), p95_ms=samples.percentile(0.95),
        p99_ms=samples.percentile(0.99), max_ms=round(samples.max_ms, 1),
        rps=round(samples.requests / duration_s, 2),
        error_rate=round(samples.error_rate, 4), verdict=verdict,
    )


def stage_figures(record: StageRecord, load: StageLoad, p95_limit: float,
                  error_limit: float, throughput_limit: float) -> StageFigures:
    """A stage's figures for details and reports, with why it did not hold its rate."""
    total = record.total
    duration = load.duration_s
    achieved = (total.requests - total.failures) / duration
    reasons: list[str] = []
    if load.offered_rps:
        share = 100 * achieved / load.offered_rps
        if share < throughput_limit:
            reasons.append(
                f"achieved {achieved:.1f} of {load.offered_rps:.1f} requests/s offered "
                f"({share:.0f}%)"
            )
    if record.scheduled and record.late > LATE_SHARE_LIMIT * record.scheduled:
        reasons.append(
            f"{record.late} of {record.scheduled} requests "
            f"({100 * record.late / record.scheduled:.1f}%) could not be sent on time (the load "
            "generator fell behind its schedule)"
        )
    if record.in_flight_left:
        reasons.append(f"{record.in_flight_left} requests were still unanswered at the end")
    return StageFigures(
        users=load.users, duration_s=duration, requests=total.requests,
        failures=total.failures, timeouts=total.timeouts,
        rps=round(total.requests / duration, 2),
        offered_rps=round(load.offered_rps, 2) if load.offered_rps else None,
        achieved_rps=round(achieved, 2), scheduled=record.scheduled, late=record.late,
        in_flight_left=record.in_flight_left, error_rate=round(total.error_rate, 4),
        p50_ms=total.percentile(0.5), p95_ms=total.percentile(0.95),
        p99_ms=total.percentile(0.99), max_ms=round(total.max_ms, 1),
        p95_bounds=_bounds(total.interval(0.95)), p99_bounds=_bounds(total.interval(0.99)),
        error_bounds=_bounds(total.error_interval()),
        endpoints=tuple(
            _endpoint(e, duration, p95_limit, error_limit)
            for e in sorted(record.endpoints, key=lambda e: -e.percentile(0.95))
        ),
        failures_seen=tuple(
            FailureFigures(f.method, f.name, f.error, f.count)
            for f in sorted(record.failures_seen, key=lambda f: -f.count)
        ),
        held="; ".join(reasons),
    )


def judged_endpoints(record: StageRecord, condition_id: str) -> list[Samples]:
    """The endpoints an endpoint condition is judged on: for p95 those with enough requests."""
    if condition_id == "endpoint_error_rate":
        return list(record.endpoints)
    return [e for e in record.endpoints if e.requests >= MIN_ENDPOINT_REQUESTS]


Figure = Callable[[StageRecord], float | None]


def _worst(condition_id: str, key: Callable[[Samples], float]) -> Figure:
    def figure(record: StageRecord) -> float | None:
        judged = judged_endpoints(record, condition_id)
        return max(key(e) for e in judged) if judged else None
    return figure


FIGURES: dict[str, tuple[str, Figure]] = {
    "p95_ms": ("normal", lambda r: r.total.percentile(0.95)),
    "p99_ms": ("normal", lambda r: r.total.percentile(0.99)),
    "error_rate": ("normal", lambda r: r.total.error_rate),
    "peak_p95_ms": ("peak", lambda r: r.total.percentile(0.95)),
    "peak_error_rate": ("peak", lambda r: r.total.error_rate),
    "endpoint_p95_ms": ("normal", _worst("endpoint_p95_ms", lambda e: e.percentile(0.95))),
    "endpoint_error_rate": ("normal", _worst("endpoint_error_rate", lambda e: e.error_rate)),
}


def worst_endpoint(record: StageRecord, condition_id: str) -> Samples | None:
    """The endpoint whose figure an endpoint condition judges."""
    judged = judged_endpoints(record, condition_id)
    if not judged:
        return None
    if condition_id == "endpoint_p95_ms":
        return max(judged, key=lambda e: e.percentile(0.95))
    return max(judged, key=lambda e: e.error_rate)


def median(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def _percentile_statistics(samples: Samples, quantile: float,
                           threshold: float) -> ConditionStatistics:
    interval = samples.interval(quantile)
    settled = (interval.high is not None and interval.high < threshold) or (
        interval.low >= threshold
    )
    needed = None if settled else confidence.requests_to_settle_percentile(
        samples.histogram, quantile, threshold
    )
    return ConditionStatistics(
        samples=sum(samples.histogram.values()), low=interval.low, high=interval.high,
        method="order statistics", settled=settled, needed_requests=needed,
    )


def _share_statistics(failures: int, total: int, threshold: float) -> ConditionStatistics:
    interval = confidence.binomial_interval(failures, total)
    low, high = 100 * interval.low, 100 * (interval.high or 1.0)
    settled = high < threshold or low >= threshold
    needed = None if settled else confidence.requests_to_settle_share(
        failures, total, threshold / 100
    )
    return ConditionStatistics(
        samples=total, low=round(low, 4), high=round(high, 4),
        method="exact binomial (Clopper-Pearson)", settled=settled, needed_requests=needed,
    )


def condition_statistics(condition_id: str, record: StageRecord,
                         threshold: float) -> ConditionStatistics | None:
    """Sample size and 95% interval of one latency or error-rate condition."""
    samples: Samples | None = record.total
    if condition_id.startswith("endpoint_"):
        samples = worst_endpoint(record, condition_id)
    if samples is None:
        return None
    if condition_id.endswith("error_rate"):
        return _share_statistics(samples.failures, samples.requests, threshold)
    quantile = 0.99 if condition_id.endswith("p99_ms") else 0.95
    return _percentile_statistics(samples, quantile, threshold)


def throughput_statistics(achieved: int, offered: int, threshold: float) -> ConditionStatistics:
    """The achieved share of the offered requests, as a binomial share in percent."""
    if offered <= 0 or achieved > offered:
        return ConditionStatistics(samples=offered, method="achieved above offered")
    found = _share_statistics(achieved, offered, threshold)
    settled = (found.low or 0.0) >= threshold or (found.high or 100.0) < threshold
    return msgspec.structs.replace(found, settled=settled, needed_requests=None)


def unsettled_reason(condition_id: str, stats: ConditionStatistics, rps: float | None) -> str:
    """Why a verdict is open, and what run would settle it."""
    high = "no upper bound" if stats.high is None else f"{stats.high:g}"
    text = (
        f"`{condition_id}`: the 95% interval [{stats.low or 0:g}, {high}] from "
        f"{stats.samples} requests reaches over the threshold"
    )
    if stats.needed_requests:
        text += f"; about {stats.needed_requests} requests would settle it"
        if rps:
            text += f" (a stage of about {math.ceil(stats.needed_requests / rps)} s at "
            text += f"{rps:.1f} requests/s)"
    return text
