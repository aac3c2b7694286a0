"""The load gate's `details` in the scorecard, as typed values.

`to_dict()` gives the JSON the scorecard holds; `from_dict()` reads any saved scorecard's details,
older ones included, and never raises: a missing or mistyped field takes its empty value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any


def _num(data: Mapping[str, Any], key: str) -> float | None:
    value = data.get(key)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _int(data: Mapping[str, Any], key: str) -> int:
    value = data.get(key)
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0


def _str(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    return value if isinstance(value, str) else ""


def _map(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _maps(value: object) -> list[Mapping[str, Any]]:
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []


@dataclass(frozen=True)
class Bounds:
    """A 95% interval; `high` None when the samples cannot bound it from above."""

    low: float | None = None
    high: float | None = None

    @classmethod
    def from_dict(cls, data: object) -> Bounds:
        found = _map(data)
        return cls(_num(found, "low"), _num(found, "high"))


@dataclass(frozen=True)
class EndpointFigures:
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

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EndpointFigures:
        return cls(
            method=_str(data, "method"), name=_str(data, "name"),
            requests=_int(data, "requests"), failures=_int(data, "failures"),
            timeouts=_int(data, "timeouts"), median_ms=_num(data, "median_ms"),
            p95_ms=_num(data, "p95_ms"), p99_ms=_num(data, "p99_ms"),
            max_ms=_num(data, "max_ms"), rps=_num(data, "rps"),
            error_rate=_num(data, "error_rate"), verdict=_str(data, "verdict"),
        )


@dataclass(frozen=True)
class FailureFigures:
    method: str = ""
    name: str = ""
    error: str = ""
    count: int = 0

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FailureFigures:
        return cls(_str(data, "method"), _str(data, "name"), _str(data, "error"),
                   _int(data, "count"))


@dataclass(frozen=True)
class StageFigures:
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
    p95_bounds: Bounds = field(default_factory=Bounds)
    p99_bounds: Bounds = field(default_factory=Bounds)
    error_bounds: Bounds = field(default_factory=Bounds)
    endpoints: tuple[EndpointFigures, ...] = ()
    failures_seen: tuple[FailureFigures, ...] = ()
    held: str = ""
    """Why the stage did not hold its rate; empty when it did (or nothing was offered)."""

    @classmethod
    def from_dict(cls, data: object) -> StageFigures:
        d = _map(data)
        return cls(
            users=_int(d, "users"), duration_s=_num(d, "duration_s"),
            requests=_int(d, "requests"), failures=_int(d, "failures"),
            timeouts=_int(d, "timeouts"), rps=_num(d, "rps"),
            offered_rps=_num(d, "offered_rps"), achieved_rps=_num(d, "achieved_rps"),
            scheduled=_int(d, "scheduled"), late=_int(d, "late"),
            in_flight_left=_int(d, "in_flight_left"), error_rate=_num(d, "error_rate"),
            p50_ms=_num(d, "p50_ms"), p95_ms=_num(d, "p95_ms"), p99_ms=_num(d, "p99_ms"),
            max_ms=_num(d, "max_ms"), p95_bounds=Bounds.from_dict(d.get("p95_bounds")),
            p99_bounds=Bounds.from_dict(d.get("p99_bounds")),
            error_bounds=Bounds.from_dict(d.get("error_bounds")),
            endpoints=tuple(EndpointFigures.from_dict(e) for e in _maps(d.get("endpoints"))),
            failures_seen=tuple(
                FailureFigures.from_dict(f) for f in _maps(d.get("failures_seen"))
            ),
            held=_str(d, "held"),
        )


@dataclass(frozen=True)
class ConditionStatistics:
    """The sample behind one condition's value and its 95% interval."""

    samples: int = 0
    low: float | None = None
    high: float | None = None
    method: str = ""
    settled: bool = True
    """Whether the whole interval lies on one side of the threshold."""
    needed_requests: int | None = None
    """Requests (at the same rate) that would settle it, when it is not settled."""

    @classmethod
    def from_dict(cls, data: object) -> ConditionStatistics:
        d = _map(data)
        needed = d.get("needed_requests")
        return cls(
            samples=_int(d, "samples"), low=_num(d, "low"), high=_num(d, "high"),
            method=_str(d, "method"), settled=d.get("settled") is not False,
            needed_requests=int(needed) if isinstance(needed, int) else None,
        )


@dataclass(frozen=True)
class LoadDetails:
    model: str = "closed"
    """`open` (`rate`: requests at fixed times) or `closed` (`users` waiting for answers)."""
    stages: Mapping[str, StageFigures] = field(default_factory=dict)
    """`normal` and `peak`; with repeats, all repeats pooled."""
    repeats: tuple[Mapping[str, StageFigures], ...] = ()
    statistics: Mapping[str, ConditionStatistics] = field(default_factory=dict)
    confidence: str = "estimate"
    log: str = ""
    locust_log: str = ""
    saturated: bool = False
    notes: tuple[str, ...] = ()
    scenario: str = ""
    wait: str = ""
    processes: int = 1
    workers: int = 0
    warmup_s: float | None = None
    startup_s: float | None = None
    request_timeout_s: float | None = None
    csv: Mapping[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["load_generator"] = {"processes": data.pop("processes"),
                                  "workers": data.pop("workers")}
        data["notes"] = list(self.notes)
        data["repeats"] = [dict(r) for r in data["repeats"]]
        out: dict[str, Any] = _lists(data)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LoadDetails:
        generator = _map(data.get("load_generator"))
        notes = data.get("notes")
        return cls(
            model=_str(data, "model") or "closed",
            stages={k: StageFigures.from_dict(v) for k, v in _map(data.get("stages")).items()},
            repeats=tuple(
                {k: StageFigures.from_dict(v) for k, v in r.items()}
                for r in _maps(data.get("repeats"))
            ),
            statistics={
                k: ConditionStatistics.from_dict(v)
                for k, v in _map(data.get("statistics")).items()
            },
            confidence=_str(data, "confidence") or "estimate",
            log=_str(data, "log"), locust_log=_str(data, "locust_log"),
            saturated=data.get("saturated") is True,
            notes=tuple(n for n in notes if isinstance(n, str)) if isinstance(notes, list) else (),
            scenario=_str(data, "scenario"), wait=_str(data, "wait"),
            processes=_int(generator, "processes") or 1, workers=_int(generator, "workers"),
            warmup_s=_num(data, "warmup_s"), startup_s=_num(data, "startup_s"),
            request_timeout_s=_num(data, "request_timeout_s"),
            csv={k: v for k, v in _map(data.get("csv")).items() if isinstance(v, str)},
        )


def _lists(value: Any) -> Any:
    """Tuples as lists, so the details equal what JSON gives back."""
    if isinstance(value, dict):
        return {k: _lists(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_lists(v) for v in value]
    return value
