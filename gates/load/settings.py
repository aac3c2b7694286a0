"""The load gate's settings, read and checked from `[tool.audit.load]`.

Everything that cannot work is a ConfigError raised before anything runs (exit 2).
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass

from auditor.errors import ConfigError
from gates.service import ServiceSettings, parse_service

TABLE = "[tool.audit.load]"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
ENDPOINT_KEYS = ("path", "method", "weight", "status", "json")
DEFAULT_WAIT = "constant_throughput(1)"
PEAK_FACTOR = 10
DEFAULT_DURATION_S = 40.0
"""Long enough for the default peak (100 requests/s) to hold about 4,000 requests: 0 failures in
3,688 or more show an error rate under 0.1% with 95% confidence."""
DEFAULT_REQUEST_TIMEOUT_S = 10.0
CONFIDENCE_POLICIES = ("estimate", "strict")
MAX_USER_RATE = 1.0
"""Requests per second one open-model arrival stream sends; a rate above 100 raises it instead
of the stream count (see `open_streams`)."""
MAX_STREAMS = 100

_NUMBER = r"\s*(\d+(?:\.\d+)?)\s*"
_WAIT_FORMS = {
    "constant": re.compile(rf"constant\({_NUMBER}\)"),
    "constant_throughput": re.compile(rf"constant_throughput\({_NUMBER}\)"),
    "constant_pacing": re.compile(rf"constant_pacing\({_NUMBER}\)"),
    "between": re.compile(rf"between\({_NUMBER},{_NUMBER}\)"),
}


@dataclass(frozen=True)
class Endpoint:
    """One request the generated scenario makes."""

    path: str
    method: str
    weight: int
    status: tuple[int, ...]
    """Status codes that count as success; empty means any 2xx."""
    json: object | None
    """A JSON body to send, or None for no body."""


@dataclass(frozen=True)
class WaitModel:
    """How long a simulated user waits between requests, as a locust wait_time function."""

    kind: str
    """`constant`, `constant_throughput`, `constant_pacing`, `between`, or `none`."""
    args: tuple[float, ...]

    def code(self) -> str:
        """The Python expression locust evaluates for the user's `wait_time`."""
        if self.kind == "none":
            return "constant(0)"
        return f"{self.kind}({', '.join(repr(a) for a in self.args)})"

    def pace_s(self) -> float | None:
        """Seconds between a user's intended starts, for the models that define them."""
        if self.kind == "constant_throughput":
            return 1.0 / self.args[0]
        if self.kind == "constant_pacing":
            return self.args[0]
        return None

    def mean_wait_s(self) -> float:
        """The mean wait, over which the users' first requests are spread."""
        if self.kind in ("constant", "constant_pacing"):
            return self.args[0]
        if self.kind == "constant_throughput":
            return 1.0 / self.args[0]
        if self.kind == "between":
            return (self.args[0] + self.args[1]) / 2
        return 0.0

    def describe(self) -> str:
        if self.kind == "none":
            return "none (each user sends its next request as soon as the last one answered)"
        return self.code()


@dataclass(frozen=True)
class LoadSettings:
    """The validated `[tool.audit.load]` table."""

    service: ServiceSettings
    """How the service starts (`start`, `port`, `cwd`, `env`, `health`, `startup_timeout`)."""
    users: int
    peak_users: int
    spawn_rate: float
    peak_spawn_rate: float
    duration: float
    warmup: float
    wait: WaitModel
    endpoints: tuple[Endpoint, ...]
    locustfile: str | None
    processes: int
    expect_workers: int
    master_bind_host: str
    master_bind_port: int
    workers_timeout: float
    locust_command: tuple[str, ...]
    rate: float | None = None
    """Requests per second at normal load in the open model; None for the closed model."""
    peak_factor: float = PEAK_FACTOR
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT_S
    confidence: str = "estimate"
    repeats: int = 1

    @property
    def open_model(self) -> bool:
        return self.rate is not None

    def open_streams(self) -> tuple[int, int, float]:
        """Open model: arrival streams (locust users) at normal and at peak load, and each
        stream's rate; a stream sends at most 1 request/s unless there would be over 100."""
        rate = self.rate or 0.0
        streams = min(MAX_STREAMS, max(1, math.ceil(rate / MAX_USER_RATE)))
        per_stream = rate / streams
        return streams, max(1, round(streams * self.peak_factor)), per_stream

    def offered_rps(self, peak: bool) -> float | None:
        """The rate the open model offers at a stage (None in the closed model)."""
        if self.rate is None:
            return None
        normal, peak_streams, per_stream = self.open_streams()
        return (peak_streams if peak else normal) * per_stream

    @property
    def distributed(self) -> bool:
        """Whether stats reach the master from worker processes (reported every few seconds)."""
        return self.processes > 1 or self.expect_workers > 0


def _where(key: str) -> str:
    return f"`{key}` in {TABLE}"


def _str(options: dict[str, object], key: str) -> str | None:
    value = options.get(key)
    return value if isinstance(value, str) and value else None


def _int(options: dict[str, object], key: str, default: int) -> int:
    value = options.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _float(options: dict[str, object], key: str, default: float) -> float:
    value = options.get(key)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return default


def parse_wait(text: str) -> WaitModel:
    """Read the `wait` option: `constant_throughput(1)`, `between(0.5, 2)`, ... or `none`."""
    cleaned = text.strip()
    if cleaned == "none":
        return WaitModel("none", ())
    for kind, pattern in _WAIT_FORMS.items():
        match = pattern.fullmatch(cleaned)
        if match:
            args = tuple(float(g) for g in match.groups())
            if kind in ("constant_throughput", "constant_pacing") and args[0] <= 0:
                raise ConfigError(f"{_where('wait')}: {kind} needs a number above 0")
            if kind == "between" and args[0] > args[1]:
                raise ConfigError(f"{_where('wait')}: between(min, max) needs min <= max")
            return WaitModel(kind, args)
    raise ConfigError(
        f"{_where('wait')} is {text!r}; use constant_throughput(N), constant_pacing(S), "
        "constant(S), between(MIN, MAX) or none"
    )


def _status(value: object, where: str) -> tuple[int, ...]:
    items: list[object] = list(value) if isinstance(value, list) else [value]
    codes: list[int] = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, int) or not 100 <= item <= 599:
            raise ConfigError(f"{where}: `status` must be an HTTP status code or a list of them")
        codes.append(item)
    if not codes:
        raise ConfigError(f"{where}: `status` must be an HTTP status code or a list of them")
    return tuple(codes)


def parse_endpoint(table: dict[str, object], index: int) -> Endpoint:
    """One `endpoints` table: path (required), method, weight, status, json."""
    where = f"endpoint {index + 1} of `endpoints` in {TABLE}"
    unknown = sorted(set(table) - set(ENDPOINT_KEYS))
    if unknown:
        raise ConfigError(
            f"{where}: `{unknown[0]}` is not a key; valid keys are {', '.join(ENDPOINT_KEYS)}"
        )
    path = table.get("path")
    if not isinstance(path, str) or not path.startswith("/"):
        raise ConfigError(f"{where}: `path` is required and must start with `/` (e.g. \"/items\")")
    method = table.get("method", "GET")
    if not isinstance(method, str) or method.upper() not in METHODS:
        raise ConfigError(f"{where}: `method` must be one of {', '.join(METHODS)}, not {method!r}")
    weight = table.get("weight", 1)
    if not isinstance(weight, int) or isinstance(weight, bool) or weight < 1:
        raise ConfigError(f"{where}: `weight` must be a whole number of at least 1")
    status = _status(table["status"], where) if "status" in table else ()
    return Endpoint(path, method.upper(), weight, status, table.get("json"))


def _check_positive(name: str, value: float) -> None:
    if value <= 0:
        raise ConfigError(f"{_where(name)} must be above 0")


@dataclass(frozen=True)
class _Sizes:
    """The load's sizes and lengths, each checked to be above 0."""

    users: int
    peak_users: int
    spawn_rate: float
    peak_spawn_rate: float
    duration: float
    processes: int
    request_timeout: float
    repeats: int


@dataclass(frozen=True)
class _Generator:
    """Where the load is generated: locust's workers, its master's address, its command."""

    expect_workers: int
    master_bind_host: str
    master_bind_port: int
    workers_timeout: float
    locust_command: tuple[str, ...]


def parse(options: dict[str, object]) -> LoadSettings:
    """Check the options of `[tool.audit.load]`; the gate runs only when `start` is set.

    The first problem found is the one reported, in this order: the service, the scenario, the
    load model, the confidence policy, the sizes, the load generator, the `wait` expression."""
    service = parse_service(options, TABLE)
    endpoints, locustfile, wait_text = _scenario(options)
    rate, peak_factor = _rate_and_peak_factor(options, locustfile)
    confidence = _confidence(options)
    sizes = _sizes(options, peak_factor)
    generator = _generator(options, sizes.processes)
    return LoadSettings(
        service=service,
        users=sizes.users,
        peak_users=sizes.peak_users,
        spawn_rate=sizes.spawn_rate,
        peak_spawn_rate=sizes.peak_spawn_rate,
        duration=sizes.duration,
        warmup=_float(options, "warmup", 2.0),
        wait=parse_wait(wait_text or DEFAULT_WAIT),
        endpoints=endpoints,
        locustfile=locustfile,
        processes=sizes.processes,
        expect_workers=generator.expect_workers,
        master_bind_host=generator.master_bind_host,
        master_bind_port=generator.master_bind_port,
        workers_timeout=generator.workers_timeout,
        locust_command=generator.locust_command,
        rate=rate,
        peak_factor=peak_factor,
        request_timeout=sizes.request_timeout,
        confidence=confidence,
        repeats=sizes.repeats,
    )


def _scenario(options: dict[str, object]) -> tuple[tuple[Endpoint, ...], str | None, str | None]:
    """The scenario: `endpoints` (with their `wait`) or a `locustfile`, exactly one of them."""
    raw_endpoints = options.get("endpoints")
    endpoint_tables = raw_endpoints if isinstance(raw_endpoints, list) else []
    endpoints = tuple(parse_endpoint(t, i) for i, t in enumerate(endpoint_tables))
    locustfile = _str(options, "locustfile")
    if endpoints and locustfile:
        raise ConfigError(
            f"{TABLE} sets both `endpoints` and `locustfile`; keep one scenario"
        )
    if not endpoints and not locustfile:
        raise ConfigError(
            f"{TABLE} has a `start` command but no scenario: list `endpoints` "
            "(e.g. endpoints = [{ path = \"/items\" }]) or give a `locustfile`"
        )
    wait_text = _str(options, "wait")
    if wait_text and locustfile:
        raise ConfigError(
            f"{_where('wait')} applies to `endpoints` only; a locustfile sets its own wait_time"
        )
    return endpoints, locustfile, wait_text


def _rate_and_peak_factor(options: dict[str, object],
                          locustfile: str | None) -> tuple[float | None, float]:
    """`rate` (None: the closed model) and `peak_factor`."""
    rate = _optional_float(options, "rate")
    peak_factor = _float(options, "peak_factor", float(PEAK_FACTOR))
    _check_positive("peak_factor", peak_factor)
    if rate is not None:
        _check_positive("rate", rate)
        _open_model_conflicts(options, locustfile)
    return rate, peak_factor


def _confidence(options: dict[str, object]) -> str:
    """The confidence policy: `estimate` or `strict`."""
    confidence = _str(options, "confidence") or "estimate"
    if confidence not in CONFIDENCE_POLICIES:
        raise ConfigError(
            f"{_where('confidence')} is {confidence!r}; use \"estimate\" (judge the measured "
            "value) or \"strict\" (judge the whole 95% interval)"
        )
    return confidence


def _sizes(options: dict[str, object], peak_factor: float) -> _Sizes:
    """Users, spawn rates, lengths and counts; the peak's defaults follow `users`."""
    users = _int(options, "users", 10)
    peak_users = _int(options, "peak_users", max(1, round(users * peak_factor)))
    sizes = _Sizes(
        users=users,
        peak_users=peak_users,
        spawn_rate=_float(options, "spawn_rate", float(users)),
        peak_spawn_rate=_float(options, "peak_spawn_rate", float(peak_users)),
        duration=_float(options, "duration", DEFAULT_DURATION_S),
        processes=_int(options, "processes", 1),
        request_timeout=_float(options, "request_timeout", DEFAULT_REQUEST_TIMEOUT_S),
        repeats=_int(options, "repeats", 1),
    )
    for field in dataclasses.fields(sizes):
        _check_positive(field.name, getattr(sizes, field.name))
    return sizes


def _generator(options: dict[str, object], processes: int) -> _Generator:
    """Forked processes or workers started elsewhere (not both), and locust's command."""
    expect_workers = _int(options, "expect_workers", 0)
    if expect_workers and processes > 1:
        raise ConfigError(
            f"{TABLE} sets both `processes` and `expect_workers`; with workers started "
            "elsewhere, give each of them `--processes` instead"
        )
    bind_port = _int(options, "master_bind_port", 5557)
    if not 1 <= bind_port <= 65535:
        raise ConfigError(f"{_where('master_bind_port')} must be between 1 and 65535")
    command = options.get("locust_command")
    return _Generator(
        expect_workers=expect_workers,
        master_bind_host=_str(options, "master_bind_host") or "127.0.0.1",
        master_bind_port=bind_port,
        workers_timeout=_float(options, "workers_timeout", 60.0),
        locust_command=tuple(str(c) for c in command) if isinstance(command, list) else (),
    )


def _optional_float(options: dict[str, object], key: str) -> float | None:
    value = options.get(key)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def _open_model_conflicts(options: dict[str, object], locustfile: str | None) -> None:
    """`rate` (open model) cannot be combined with the closed model's settings."""
    # `users` has a default, so only the options without one can be told apart.
    for key in ("peak_users", "wait", "spawn_rate", "peak_spawn_rate"):
        if options.get(key) is not None:
            raise ConfigError(
                f"{TABLE} sets both `rate` (open model: requests are sent at fixed times) and "
                f"`{key}` (closed model: users wait for answers); keep one model"
            )
    if locustfile:
        raise ConfigError(
            f"{_where('rate')} applies to `endpoints` only; a locustfile's users are a closed "
            "model: configure them with users/peak_users"
        )
