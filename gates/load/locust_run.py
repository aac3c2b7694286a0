"""Running locust as a child process.

locust is never imported here (importing it monkey-patches the process with gevent); it runs
as `sys.executable -m locust`, or the `locust_command` option, from the auditor's environment.

Exit codes: with `--exit-code-on-error 0` locust exits 0 when the test ran to its end, whether
or not requests failed (failures are read from the CSV); anything else (1: bad locustfile or
options, -1/255: a crash while starting, 2 and up from forked workers) means it did not
measure. A run also counts as not measured when a stage's statistics are missing, unparsable,
or show no request at all.

The stages' figures are read from what the generated locustfile writes (see stage_stats).
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Mapping
from pathlib import Path

import msgspec

from auditor.errors import GateError
from auditor.procs import Background
from gates.load.settings import LoadSettings

OK_CODES = (0,)
SATURATION_MARKERS = (
    "CPU usage above",
    "CPU usage was too high",
    "CPU usage threshold was exceeded",
    "exceeded cpu threshold",
)
ROUNDING_NOTE = (
    "percentiles come from locust's rounded histogram: exact below 100 ms, to 10 ms up to 1 s, "
    "to 100 ms above; max_ms is exact"
)
SATURATION_ERROR = (
    "the load generator was saturated: locust reported CPU usage above 90% while generating "
    "load, so it, not the service, set part of the figures; spread the load over more processes "
    "(`processes = N` in [tool.audit.load]) or machines (`expect_workers`), or lower "
    "`users`/`rate`"
)
LOG_TAIL_LINES = 40


class ExceptionRow(msgspec.Struct, rename={"count": "Count", "message": "Message"}):
    """A row of locust's `_exceptions.csv` (`StatsCSV.exceptions_columns`: Count, Message,
    Traceback, Nodes): the columns read."""

    count: int
    message: str


def parse_exceptions(text: str, where: str = "locust's _exceptions.csv") -> tuple[str, ...]:
    """Messages of a `_exceptions.csv` (errors raised in the scenario's own code), with counts;
    GateError naming the column when one is missing or not of its type."""
    rows = list(csv.DictReader(io.StringIO(text)))
    try:
        # strict=False: a CSV cell is text, `Count` is read as the whole number it holds.
        typed = msgspec.convert(rows, list[ExceptionRow], strict=False)
    except msgspec.ValidationError as exc:
        raise GateError(f"{where} is not the table locust writes: {exc}") from None
    return tuple(f"{row.count} x {row.message}" for row in typed)


def stage_exceptions(prefix: Path) -> tuple[str, ...]:
    """Errors raised in the scenario's own code during a stage, from its `_exceptions.csv`."""
    path = prefix.with_name(prefix.name + "_exceptions.csv")
    if not path.is_file():
        return ()
    return parse_exceptions(path.read_text(encoding="utf-8"), f"locust's {path.name}")


def scenario_errors(prefix: Path) -> str:
    """What to add to a stage's error: the errors raised in the scenario's own code (or why
    they cannot be read), or nothing."""
    try:
        exceptions = stage_exceptions(prefix)
    except GateError as exc:
        return f"; {exc}"
    return f"; errors in the scenario: {'; '.join(exceptions)}" if exceptions else ""


def command(settings: LoadSettings, locustfile: Path, host: str) -> list[str]:
    """The locust command line for all stages (the stages come from the locustfile's shape,
    which also writes each stage's statistics). `--stop-timeout` lets a target locustfile's
    users finish the request in flight when a stage ends (the generated users detach theirs,
    and an open-model stream must stop at once)."""
    base = list(settings.locust_command) or [sys.executable, "-m", "locust"]
    cmd = [
        *base,
        "-f", str(locustfile),
        "--headless",
        "--only-summary",
        "--host", host,
        "--exit-code-on-error", "0",
    ]
    if settings.locustfile:
        cmd += ["--stop-timeout", f"{settings.request_timeout:g}"]
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
            log_tail=tail, log=str(log_path),
        ) from None
    finally:
        process.stop()
    text = log_path.read_bytes().decode("utf-8", errors="replace")
    if code not in OK_CODES:
        tail = _tail(text)
        shown = "\n".join("    " + line for line in tail.splitlines()[-15:]) or "    (no output)"
        raise GateError(
            f"locust exited with code {code} (0 means it ran to the end):\n{shown}",
            log_tail=tail, log=str(log_path),
        )
    return text


def log_tail(text: str) -> str:
    """The last lines of a locust log, for details."""
    return _tail(text)
