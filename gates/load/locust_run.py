"""Running locust as a child process and reading its CSV statistics.

locust is never imported here (importing it monkey-patches the process with gevent); it runs
as `sys.executable -m locust`, or the `locust_command` option, from the auditor's environment.

Exit codes: with `--exit-code-on-error 0` locust exits 0 when the test ran to its end, whether
or not requests failed (failures are read from the CSV); anything else (1: bad locustfile or
options, -1/255: a crash while starting, 2 and up from forked workers) means it did not
measure. A run also counts as not measured when its CSV is missing, unparsable, or shows no
request at all.

Percentiles in locust's CSV come from a rounded histogram: exact below 100 ms, rounded to
10 ms up to 1 s and to 100 ms above. The maximum is the exact slowest request.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

from auditor.errors import GateError
from auditor.procs import Background
from gates.load.settings import LoadSettings

OK_CODES = (0,)
SATURATION_MARKERS = (
    "CPU usage above",
    "CPU usage was too high",
    "CPU usage threshold was exceeded",
)
ROUNDING_NOTE = (
    "percentiles come from locust's rounded histogram: exact below 100 ms, to 10 ms up to 1 s, "
    "to 100 ms above; max_ms is exact"
)
SATURATION_NOTE = (
    "locust reported CPU usage above 90% while generating load, so the load generator, not the "
    "service, may have set part of the latency: the figures may be inflated; use `processes` or "
    "`expect_workers` to spread the load generation"
)
LOG_TAIL_LINES = 40


@dataclass(frozen=True)
class EndpointStats:
    """One row of locust's stats CSV."""

    method: str
    name: str
    requests: int
    failures: int
    median_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    rps: float


@dataclass(frozen=True)
class FailureSeen:
    """One row of locust's failures CSV."""

    method: str
    name: str
    error: str
    count: int


@dataclass(frozen=True)
class StageStats:
    """What one stage measured: the `Aggregated` row, the endpoints and the failures."""

    total: EndpointStats
    p50_ms: float
    endpoints: tuple[EndpointStats, ...]
    failures_seen: tuple[FailureSeen, ...]
    exceptions: tuple[str, ...]

    @property
    def error_rate(self) -> float:
        """Failed requests, percent."""
        return 100.0 * self.total.failures / self.total.requests if self.total.requests else 0.0

    def to_details(self, users: int, duration_s: float) -> dict[str, object]:
        details: dict[str, object] = {
            "users": users,
            "duration_s": duration_s,
            "requests": self.total.requests,
            "failures": self.total.failures,
            "rps": round(self.total.rps, 2),
            "error_rate": round(self.error_rate, 4),
            "p50_ms": self.p50_ms,
            "p95_ms": self.total.p95_ms,
            "p99_ms": self.total.p99_ms,
            "max_ms": round(self.total.max_ms, 1),
            "endpoints": [
                {**asdict(e), "max_ms": round(e.max_ms, 1), "rps": round(e.rps, 2)}
                for e in self.endpoints
            ],
            "failures_seen": [asdict(f) for f in self.failures_seen],
        }
        if self.exceptions:
            details["exceptions"] = list(self.exceptions)
        return details


def _number(row: Mapping[str, str], column: str, where: str) -> float:
    value = row.get(column)
    try:
        return float(value) if value is not None else float("nan")
    except ValueError:
        raise GateError(f"{where}: column {column!r} holds {value!r}, not a number") from None


def _row_stats(row: Mapping[str, str], where: str) -> EndpointStats:
    requests = int(_number(row, "Request Count", where))
    has_samples = requests > 0
    def pct(column: str) -> float:
        return _number(row, column, where) if has_samples else 0.0
    return EndpointStats(
        method=row.get("Type") or "",
        name=row.get("Name") or "",
        requests=requests,
        failures=int(_number(row, "Failure Count", where)),
        median_ms=pct("Median Response Time"),
        p95_ms=pct("95%"),
        p99_ms=pct("99%"),
        max_ms=pct("Max Response Time"),
        rps=_number(row, "Requests/s", where),
    )


def parse_stats(text: str, where: str) -> tuple[EndpointStats, float, tuple[EndpointStats, ...]]:
    """The Aggregated row, its median (50%) and the per-endpoint rows of a `_stats.csv`."""
    rows = list(csv.DictReader(io.StringIO(text)))
    totals = [r for r in rows if r.get("Name") == "Aggregated" and not r.get("Type")]
    if len(totals) != 1:
        raise GateError(f"{where} has no `Aggregated` row; locust's CSV format was not recognised")
    total = _row_stats(totals[0], where)
    p50 = _number(totals[0], "50%", where) if total.requests else 0.0
    endpoints = tuple(_row_stats(r, where) for r in rows if r is not totals[0])
    return total, p50, endpoints


def parse_failures(text: str, where: str) -> tuple[FailureSeen, ...]:
    """The rows of a `_failures.csv`."""
    return tuple(
        FailureSeen(
            method=row.get("Method") or "",
            name=row.get("Name") or "",
            error=row.get("Error") or "",
            count=int(_number(row, "Occurrences", where)),
        )
        for row in csv.DictReader(io.StringIO(text))
    )


def parse_exceptions(text: str) -> tuple[str, ...]:
    """Messages of a `_exceptions.csv` (errors raised in the scenario's own code), with counts."""
    return tuple(
        f"{row.get('Count', '?')} x {row.get('Message', '')}"
        for row in csv.DictReader(io.StringIO(text))
    )


def _read(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        raise GateError(f"locust wrote no {what} ({path.name})") from None


def read_stage(prefix: Path, stage: str) -> StageStats:
    """The statistics locust wrote for one stage under `prefix`."""
    stats_path = prefix.with_name(prefix.name + "_stats.csv")
    failures_path = prefix.with_name(prefix.name + "_failures.csv")
    exceptions_path = prefix.with_name(prefix.name + "_exceptions.csv")
    where = f"the {stage} stage's {stats_path.name}"
    total, p50, endpoints = parse_stats(_read(stats_path, f"{stage} stats CSV"), where)
    failures = parse_failures(_read(failures_path, f"{stage} failures CSV"), failures_path.name)
    exceptions = (
        parse_exceptions(exceptions_path.read_text(encoding="utf-8"))
        if exceptions_path.is_file() else ()
    )
    if total.requests == 0:
        extra = f"; errors in the scenario: {'; '.join(exceptions)}" if exceptions else ""
        raise GateError(f"locust made no request during the {stage} stage{extra}")
    return StageStats(total, p50, endpoints, failures, exceptions)


def command(settings: LoadSettings, locustfile: Path, csv_prefix: Path, host: str) -> list[str]:
    """The locust command line for both stages (the stages come from the locustfile's shape)."""
    base = list(settings.locust_command) or [sys.executable, "-m", "locust"]
    cmd = [
        *base,
        "-f", str(locustfile),
        "--headless",
        "--only-summary",
        "--csv", str(csv_prefix),
        "--host", host,
        "--exit-code-on-error", "0",
    ]
    if settings.processes > 1:
        cmd += ["--processes", str(settings.processes)]
    if settings.expect_workers:
        cmd += [
            "--master",
            "--expect-workers", str(settings.expect_workers),
            "--expect-workers-max-wait", str(int(settings.workers_timeout)),
            "--master-bind-host", settings.master_bind_host,
            "--master-bind-port", str(settings.master_bind_port),
        ]
    return cmd


def environment(base: Mapping[str, str], workdir: Path) -> dict[str, str]:
    """locust's environment: no LOCUST_* variables or ~/.locust.conf that could change the run
    (a stray LOCUST_RUN_TIME would cut a stage short), no bytecode written into the target's
    tree by its locustfile, and no proxy between locust and the loopback service."""
    env = {k: v for k, v in base.items() if not k.startswith("LOCUST_")}
    env["HOME"] = str(workdir)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    for key in ("NO_PROXY", "no_proxy"):
        env[key] = ",".join(filter(None, [base.get(key, ""), "127.0.0.1", "localhost"]))
    return env


def saturated(log_text: str) -> bool:
    """Whether locust warned that its own CPU usage was high enough to distort the figures."""
    return any(marker in log_text for marker in SATURATION_MARKERS)


def _tail(text: str, lines: int = LOG_TAIL_LINES) -> str:
    return "\n".join(text.splitlines()[-lines:])


def run(cmd: list[str], *, cwd: Path, env: Mapping[str, str], log_path: Path,
        timeout_s: float) -> str:
    """Run locust to its end within `timeout_s`; its log text. GateError when it did not."""
    process = Background(cmd, cwd=cwd, log_path=log_path, env=env)
    try:
        code = process.wait(timeout_s)
    except GateError as exc:
        tail = process.log_tail(LOG_TAIL_LINES)
        raise GateError(
            f"{exc} (the stages and the wait for workers should take less)",
            details={"log_tail": tail, "log": str(log_path)},
        ) from None
    finally:
        process.stop()
    text = log_path.read_bytes().decode("utf-8", errors="replace")
    if code not in OK_CODES:
        tail = _tail(text)
        shown = "\n".join("    " + line for line in tail.splitlines()[-15:]) or "    (no output)"
        raise GateError(
            f"locust exited with code {code} (0 means it ran to the end):\n{shown}",
            details={"log_tail": tail, "log": str(log_path)},
        )
    return text


def log_tail(text: str) -> str:
    """The last lines of a locust log, for details."""
    return _tail(text)
