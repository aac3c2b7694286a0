"""The load gate's `details` in the scorecard, as typed values.

The field names are the scorecard's JSON keys. The figure records (a stage's, an endpoint's, an
interval, a condition's statistics) are written whole, zeros and unknown (null) figures included,
as they always were; every one of their fields has a default, so that older scorecards, which
lacked some figures, still read. The database records write only the keys that apply.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from auditor.model import Details


class Bounds(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A 95% interval; `high` None when the samples cannot bound it from above."""

    low: float | None = None
    high: float | None = None


class EndpointFigures(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    method: str = ""
    name: str = ""
    requests: int = 0
    failures: int = 0
    timeouts: int = 0
    median_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    max_ms: float | None = None
    rps: float | None = None
    error_rate: float | None = None
    verdict: str = ""
    """`passed`, `failed` (naming what) or `too few requests to judge` at normal load."""


class FailureFigures(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    method: str = ""
    name: str = ""
    error: str = ""
    count: int = 0


class StageFigures(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One stage: its load, what was offered and achieved, its figures and endpoints."""

    users: int = 0
    duration_s: float | None = None
    requests: int = 0
    failures: int = 0
    timeouts: int = 0
    rps: float | None = None
    """Requests answered (any outcome) per second of the stage."""
    offered_rps: float | None = None
    """The rate the stage offered: the open model's schedule, or for the closed model's peak
    the normal stage's achieved rate times peak_users / users."""
    achieved_rps: float | None = None
    """Successful requests per second of the stage."""
    scheduled: int = 0
    late: int = 0
    in_flight_left: int = 0
    error_rate: float | None = None
    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    max_ms: float | None = None
    p95_bounds: Bounds = Bounds()
    p99_bounds: Bounds = Bounds()
    error_bounds: Bounds = Bounds()
    endpoints: tuple[EndpointFigures, ...] = ()
    failures_seen: tuple[FailureFigures, ...] = ()
    held: str = ""
    """Why the stage did not hold its rate; empty when it did (or nothing was offered)."""


class ConditionStatistics(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The sample behind one condition's value and its 95% interval."""

    samples: int = 0
    low: float | None = None
    high: float | None = None
    method: str = ""
    settled: bool = True
    """Whether the whole interval lies on one side of the threshold."""
    needed_requests: int | None = None
    """Requests (at the same rate) that would settle it, when it is not settled."""


class LoadGenerator(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """How the load was generated: locust processes on this machine, workers started elsewhere."""

    processes: int = 1
    workers: int = 0


class DbStatement(msgspec.Struct, frozen=True, omit_defaults=True, forbid_unknown_fields=True):
    """One normalised statement's executions in a stage."""

    text: str
    count: int
    total_ms: float
    mean_ms: float
    max_ms: float
    n_plus_one: bool
    """Whether it ran often enough per request to be a likely N+1 pattern."""
    per_request: float | None = None
    """Executions per HTTP request of the stage; None when the stage made no request."""
    histogram: tuple[int, ...] = ()
    """Executions per latency bucket (`DatabaseDetails.histogram_bounds_ms`, then one above)."""


class DbStage(msgspec.Struct, frozen=True, omit_defaults=True, forbid_unknown_fields=True):
    """One stage's statements: their figures, the top ones by total time, the likely N+1."""

    statements: int
    distinct: int
    total_ms: float
    avg_ms: float
    max_ms: float
    requests: int
    top: tuple[DbStatement, ...]
    n_plus_one: tuple[DbStatement, ...]
    per_request: float | None = None
    """Statements per HTTP request; None when the stage made no request."""
    window: tuple[float, float] | None = None
    """When the stage began and ended (seconds since the epoch), as the source saw it."""


class DatabaseDetails(
    msgspec.Struct, frozen=True, omit_defaults=True, forbid_unknown_fields=True
):
    """The database statements the load gate observed (`db_timing`)."""

    mode: str
    """`python` (timed in the service's process) or `postgres` (pg_stat_statements)."""
    source: str
    """What timed them, in words."""
    error: str | None = None
    """Why the source could not be read; the other fields are then absent."""
    overhead_us: float | None = None
    """python mode: the instrumentation's measured cost per statement, in microseconds."""
    hooked: tuple[str, ...] = ()
    """python mode: the drivers the instrumentation hooked."""
    problems: tuple[str, ...] = ()
    n_plus_one_per_request: float | None = None
    """Executions per request from which a statement is flagged as a likely N+1."""
    stages: dict[str, DbStage] = msgspec.field(default_factory=dict)
    histogram_bounds_ms: tuple[float, ...] = ()


class LoadDetails(Details, frozen=True):
    """The base `log` is where the service's output was written."""

    model: Literal["open", "closed"] | None = None
    """`open` (`rate`: requests at fixed times) or `closed` (`users` waiting for answers); None
    in scorecards older than the open model, which were all closed."""
    stages: dict[str, StageFigures] = msgspec.field(default_factory=dict)
    """`normal` and `peak`; with repeats, all repeats pooled."""
    repeats: tuple[dict[str, StageFigures], ...] = ()
    statistics: dict[str, ConditionStatistics] = msgspec.field(default_factory=dict)
    confidence: str | None = None
    """The confidence policy, `estimate` or `strict`."""
    locust_log: str | None = None
    saturated: bool | None = None
    """Whether the load generator was saturated; None when it did not run."""
    notes: tuple[str, ...] = ()
    scenario: str | None = None
    wait: str | None = None
    warmup_s: float | None = None
    startup_s: float | None = None
    request_timeout_s: float | None = None
    csv: dict[str, str] = msgspec.field(default_factory=dict)
    """The stages' locust CSV files, by stage."""
    load_generator: LoadGenerator | None = None
    database: DatabaseDetails | None = None
    """The database statements, when `db_timing` observed them (or failed to)."""
