"""The load gate's settings, read and checked from `[tool.audit.load]`.

Everything that cannot work is a ConfigError raised before anything runs (exit 2).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from auditor.errors import ConfigError
from gates.service import ServiceSettings, parse_service

TABLE = "[tool.audit.load]"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
ENDPOINT_KEYS = ("path", "method", "weight", "status", "json")
DEFAULT_WAIT = "constant_throughput(1)"
PEAK_FACTOR = 10

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


def parse(options: dict[str, object]) -> LoadSettings:
    """Check the options of `[tool.audit.load]`; the gate runs only when `start` is set."""
    service = parse_service(options, TABLE)
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
    users = _int(options, "users", 10)
    peak_users = _int(options, "peak_users", users * PEAK_FACTOR)
    spawn_rate = _float(options, "spawn_rate", float(users))
    peak_spawn_rate = _float(options, "peak_spawn_rate", float(peak_users))
    duration = _float(options, "duration", 20.0)
    processes = _int(options, "processes", 1)
    for name, number in (
        ("users", users), ("peak_users", peak_users), ("spawn_rate", spawn_rate),
        ("peak_spawn_rate", peak_spawn_rate), ("duration", duration),
        ("processes", processes),
    ):
        _check_positive(name, number)
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
    return LoadSettings(
        service=service,
        users=users,
        peak_users=peak_users,
        spawn_rate=spawn_rate,
        peak_spawn_rate=peak_spawn_rate,
        duration=duration,
        warmup=_float(options, "warmup", 2.0),
        wait=parse_wait(wait_text or DEFAULT_WAIT),
        endpoints=endpoints,
        locustfile=locustfile,
        processes=processes,
        expect_workers=expect_workers,
        master_bind_host=_str(options, "master_bind_host") or "127.0.0.1",
        master_bind_port=bind_port,
        workers_timeout=_float(options, "workers_timeout", 60.0),
        locust_command=tuple(str(c) for c in command) if isinstance(command, list) else (),
    )
