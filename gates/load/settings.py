"""The load gate's settings, read and checked from `[tool.audit.load]`.

Everything that cannot work is a ConfigError raised before anything runs (exit 2).
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

from auditor.errors import ConfigError
from auditor.model import OptionSpec
from auditor.plugin import GateConfig
from gates.service import SERVICE_OPTIONS, ServiceSettings, parse_service, with_defaults

TABLE = "[tool.audit.load]"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
ENDPOINT_KEYS = ("path", "method", "weight", "status", "json")
DEFAULT_WAIT = "constant_throughput(1)"
"""The closed model's wait when `wait` is unset (its OptionSpec's default, None, means this)."""
CONFIDENCE_POLICIES = ("estimate", "strict")
MAX_USER_RATE = 1.0
"""Requests per second one open-model arrival stream sends; a rate above 100 raises it instead
of the stream count (see `open_streams`)."""
MAX_STREAMS = 100

OPTIONS: tuple[OptionSpec, ...] = (
    OptionSpec("rate", "number", None,
               "open model: requests per second at normal load, sent at fixed times whatever "
               "the service does (instead of users)",
               synonyms=("rps", "qps", "requests_per_second", "throughput")),
    OptionSpec("peak_factor", "number", 10,
               "peak load as a multiple of normal load (rate or users)"),
    OptionSpec("users", "int", 10, "closed model: simulated users at normal load"),
    OptionSpec("peak_users", "int", None,
               "simulated users at peak load (default peak_factor x users)"),
    OptionSpec("spawn_rate", "number", None, "users started per second (default: all in 1 s)"),
    OptionSpec("peak_spawn_rate", "number", None,
               "users started per second at peak (default: all in 1 s)"),
    OptionSpec("duration", "number", 40,
               "seconds per stage; 40 s at the default 100 requests/s peak gives the ~3,700 "
               "requests needed to show a 0.1% error rate with 95% confidence"),
    OptionSpec("request_timeout", "number", 10,
               "seconds after which a request counts as failed (timeout); requests in flight "
               "at a stage's end are waited for this long"),
    OptionSpec("confidence", "str", "estimate",
               "estimate: judge the measured value, warn when its 95% interval crosses the "
               "threshold; strict: such a condition is inconclusive (blocks)"),
    OptionSpec("repeats", "int", 1,
               "run the measured stages this many times and judge the median"),
    OptionSpec("warmup", "number", 2,
               "seconds of normal load before measuring, not counted (0: none)"),
    OptionSpec("wait", "str", None,
               "wait between a user's requests: constant_throughput(1) (default, about 1 "
               "request/s per user), between(MIN, MAX), constant(S), constant_pacing(S), none"),
    OptionSpec("endpoints", "table_list", [],
               "requests to make: path, method (GET), weight (1), status (2xx), json"),
    OptionSpec("locustfile", "str", None, "the target's own locustfile instead of endpoints"),
    OptionSpec("processes", "int", 1,
               "locust processes generating load on this machine (locust --processes)"),
    OptionSpec("expect_workers", "int", 0,
               "run locust as master and wait for this many workers you start "
               "(locust --worker -f - --master-host HOST)"),
    OptionSpec("master_bind_host", "str", "127.0.0.1",
               "interface the master listens on for workers (0.0.0.0 for other machines)"),
    OptionSpec("master_bind_port", "int", 5557, "port the master listens on for workers"),
    OptionSpec("workers_timeout", "number", 60, "seconds to wait for the expected workers"),
    OptionSpec("locust_command", "str_list", [],
               "command that runs locust (default: the auditor's own, python -m locust)"),
)
"""The load options of `[tool.audit.load]` besides the service's (gates/service.py) and the
database timing's (gates/load/db/settings.py); each default is declared here only."""

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
    """How the service starts (`start`, `reset`, `port`, `cwd`, `env`, `health`,
    `startup_timeout`)."""
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
    rate: float | None
    """Requests per second at normal load in the open model; None for the closed model."""
    peak_factor: float
    request_timeout: float
    confidence: str
    repeats: int

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


def _text(config: GateConfig, key: str) -> str | None:
    """A string option, None when unset; an empty one names nothing."""
    value = config.option_str(key)
    if value == "":
        raise ConfigError(f"{_where(key)} is empty; leave it out or give a value")
    return value


def _whole(config: GateConfig, key: str) -> int:
    """An int option that has a default (in OPTIONS)."""
    value = config.option_int(key)
    if value is None:
        raise ConfigError(f"{_where(key)} must be a whole number")
    return value


def _number(config: GateConfig, key: str) -> float:
    """A number option that has a default (in OPTIONS)."""
    value = config.option_number(key)
    if value is None:
        raise ConfigError(f"{_where(key)} must be a number")
    return value


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


def parse(options: Mapping[str, object]) -> LoadSettings:
    """Check the options of `[tool.audit.load]`; the gate runs only when `start` is set.

    OPTIONS holds each default: an unset option reads as its OptionSpec says (`with_defaults`).
    The first problem found is the one reported, in this order: the service, the scenario, the
    load model, the confidence policy, the sizes, the load generator, the `wait` expression."""
    config = with_defaults((*SERVICE_OPTIONS, *OPTIONS), options)
    service = parse_service(config, TABLE)
    endpoints, locustfile, wait_text = _scenario(config)
    rate, peak_factor = _rate_and_peak_factor(config, locustfile)
    confidence = _confidence(config)
    sizes = _sizes(config, peak_factor)
    generator = _generator(config, sizes.processes)
    return LoadSettings(
        service=service,
        users=sizes.users,
        peak_users=sizes.peak_users,
        spawn_rate=sizes.spawn_rate,
        peak_spawn_rate=sizes.peak_spawn_rate,
        duration=sizes.duration,
        warmup=_number(config, "warmup"),
        wait=parse_wait(DEFAULT_WAIT if wait_text is None else wait_text),
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


def _endpoint_tables(config: GateConfig) -> list[dict[str, object]]:
    """The `endpoints` tables (a list of tables, as auditor.config checks it)."""
    value = config.options.get("endpoints")
    if not isinstance(value, list) or not all(isinstance(t, dict) for t in value):
        raise ConfigError(f"{_where('endpoints')} must be a list of tables")
    return [{str(k): v for k, v in t.items()} for t in value]


def _scenario(config: GateConfig) -> tuple[tuple[Endpoint, ...], str | None, str | None]:
    """The scenario: `endpoints` (with their `wait`) or a `locustfile`, exactly one of them."""
    endpoints = tuple(parse_endpoint(t, i) for i, t in enumerate(_endpoint_tables(config)))
    locustfile = _text(config, "locustfile")
    if endpoints and locustfile:
        raise ConfigError(
            f"{TABLE} sets both `endpoints` and `locustfile`; keep one scenario"
        )
    if not endpoints and not locustfile:
        raise ConfigError(
            f"{TABLE} has a `start` command but no scenario: list `endpoints` "
            "(e.g. endpoints = [{ path = \"/items\" }]) or give a `locustfile`"
        )
    wait_text = config.option_str("wait")
    if wait_text is not None and locustfile:
        raise ConfigError(
            f"{_where('wait')} applies to `endpoints` only; a locustfile sets its own wait_time"
        )
    return endpoints, locustfile, wait_text


def _rate_and_peak_factor(config: GateConfig,
                          locustfile: str | None) -> tuple[float | None, float]:
    """`rate` (None: the closed model) and `peak_factor`."""
    rate = config.option_number("rate")
    peak_factor = _number(config, "peak_factor")
    _check_positive("peak_factor", peak_factor)
    if rate is not None:
        _check_positive("rate", rate)
        _open_model_conflicts(config, locustfile)
    return rate, peak_factor


def _confidence(config: GateConfig) -> str:
    """The confidence policy: `estimate` or `strict`."""
    confidence = config.option_str("confidence")
    if confidence is None or confidence not in CONFIDENCE_POLICIES:
        raise ConfigError(
            f"{_where('confidence')} is {confidence!r}; use \"estimate\" (judge the measured "
            "value) or \"strict\" (judge the whole 95% interval)"
        )
    return confidence


def _sizes(config: GateConfig, peak_factor: float) -> _Sizes:
    """Users, spawn rates, lengths and counts; the peak's, unset, follow `users` (OPTIONS says
    so in their help)."""
    users = _whole(config, "users")
    peak_users = config.option_int("peak_users")
    if peak_users is None:
        peak_users = max(1, round(users * peak_factor))
    spawn_rate = config.option_number("spawn_rate")
    peak_spawn_rate = config.option_number("peak_spawn_rate")
    sizes = _Sizes(
        users=users,
        peak_users=peak_users,
        spawn_rate=float(users) if spawn_rate is None else spawn_rate,
        peak_spawn_rate=float(peak_users) if peak_spawn_rate is None else peak_spawn_rate,
        duration=_number(config, "duration"),
        processes=_whole(config, "processes"),
        request_timeout=_number(config, "request_timeout"),
        repeats=_whole(config, "repeats"),
    )
    for field in dataclasses.fields(sizes):
        _check_positive(field.name, getattr(sizes, field.name))
    return sizes


def _generator(config: GateConfig, processes: int) -> _Generator:
    """Forked processes or workers started elsewhere (not both), and locust's command."""
    expect_workers = _whole(config, "expect_workers")
    if expect_workers and processes > 1:
        raise ConfigError(
            f"{TABLE} sets both `processes` and `expect_workers`; with workers started "
            "elsewhere, give each of them `--processes` instead"
        )
    bind_port = _whole(config, "master_bind_port")
    if not 1 <= bind_port <= 65535:
        raise ConfigError(f"{_where('master_bind_port')} must be between 1 and 65535")
    bind_host = _text(config, "master_bind_host")
    if bind_host is None:
        raise ConfigError(f"{_where('master_bind_host')} must be a string")
    return _Generator(
        expect_workers=expect_workers,
        master_bind_host=bind_host,
        master_bind_port=bind_port,
        workers_timeout=_number(config, "workers_timeout"),
        locust_command=tuple(config.option_list("locust_command")),
    )


def _open_model_conflicts(config: GateConfig, locustfile: str | None) -> None:
    """`rate` (open model) cannot be combined with the closed model's settings."""
    # `users` has a default, so only the options without one (None) can be told apart.
    closed = {
        "peak_users": config.option_int("peak_users"),
        "wait": config.option_str("wait"),
        "spawn_rate": config.option_number("spawn_rate"),
        "peak_spawn_rate": config.option_number("peak_spawn_rate"),
    }
    for key, value in closed.items():
        if value is not None:
            raise ConfigError(
                f"{TABLE} sets both `rate` (open model: requests are sent at fixed times) and "
                f"`{key}` (closed model: users wait for answers); keep one model"
            )
    if locustfile:
        raise ConfigError(
            f"{_where('rate')} applies to `endpoints` only; a locustfile's users are a closed "
            "model: configure them with users/peak_users"
        )
