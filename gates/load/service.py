"""Starting the audited service, waiting until it is healthy, and stopping it.

The service runs from the `start` command, split like a shell would (shlex) but run without
one, in its own process group: stopping it terminates and then kills the whole group, so a
server that forks workers leaves nothing behind. Its output goes to `load-service.log` next
to the reports. It listens on 127.0.0.1; `{port}` in the command is a free port chosen by
binding 127.0.0.1:0, or the fixed `port` option.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import socket
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from auditor.errors import GateError
from auditor.procs import Background
from gates.load.settings import LoadSettings

LOOPBACK = "127.0.0.1"
POLL_INTERVAL_S = 0.1
LOG_TAIL_LINES = 30
_PYTHON_NAMES = ("python", "python3")


@dataclass(frozen=True)
class RunningService:
    """A service that answered its health check."""

    port: int
    base_url: str
    log_path: Path
    process: Background
    startup_s: float


def free_port() -> int:
    """A port nothing listens on right now, chosen by the kernel."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def port_accepts(port: int) -> bool:
    """Whether something accepts connections on 127.0.0.1:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1.0)
        return sock.connect_ex((LOOPBACK, port)) == 0


def expand_start(tokens: tuple[str, ...], port: int, python: Path) -> list[str]:
    """The start command with `{port}` and `{python}` filled in.

    A bare leading `python` / `python3` means the target's interpreter, so the service runs
    with the target's installed dependencies rather than whatever is first on PATH.
    """
    cmd = [t.replace("{port}", str(port)).replace("{python}", str(python)) for t in tokens]
    if cmd[0] in _PYTHON_NAMES:
        cmd[0] = str(python)
    return cmd


def service_env(base: Mapping[str, str], settings: LoadSettings, python: Path,
                workdir: Path) -> dict[str, str]:
    """The service's environment: the auditor's, the target interpreter's bin first on PATH,
    bytecode caches kept out of the target's tree, then the configured `env` on top."""
    env = dict(base)
    env["PATH"] = os.pathsep.join([str(python.parent), env.get("PATH", "")])
    env["PYTHONPYCACHEPREFIX"] = str(workdir / "pycache")
    env["PYTHONUNBUFFERED"] = "1"
    env.update(settings.env)
    return env


def _health_status(port: int, path: str, timeout: float) -> str | int:
    """The HTTP status of one health request, or why it failed."""
    conn = http.client.HTTPConnection(LOOPBACK, port, timeout=timeout)
    try:
        conn.request("GET", path)
        return conn.getresponse().status
    except (OSError, http.client.HTTPException) as exc:
        return type(exc).__name__ if not str(exc) else f"{type(exc).__name__}: {exc}"
    finally:
        conn.close()


def last_lines(log_path: Path, lines: int = LOG_TAIL_LINES) -> str:
    """The last lines of the service's log, indented for the terminal ("(no output)" if none)."""
    try:
        text = log_path.read_bytes().decode("utf-8", errors="replace")
    except OSError:
        text = ""
    tail = text.rstrip("\n").splitlines()[-lines:]
    return "\n".join("    " + line for line in tail) or "    (no output)"


def exit_text(code: int, log_path: Path) -> str:
    """What to say when the service exited while it was under load."""
    return (
        f"the service exited with code {code} during the load; the last lines of "
        f"{log_path.name}:\n{last_lines(log_path)}"
    )


def _failure(message: str, process: Background) -> GateError:
    tail = process.log_tail(LOG_TAIL_LINES)
    shown = "\n".join("    " + line for line in tail.splitlines()) or "    (no output)"
    return GateError(
        f"{message}; the last lines of {process.log_path.name}:\n{shown}",
        details={"log_tail": tail, "log": str(process.log_path)},
    )


def wait_healthy(process: Background, port: int, path: str, timeout_s: float) -> float:
    """Poll `path` until it answers 2xx; seconds it took. GateError if the service exits or
    does not become healthy in time."""
    started = time.monotonic()
    deadline = started + timeout_s
    last: str | int = "no answer yet"
    while True:
        code = process.poll()
        if code is not None:
            raise _failure(
                f"the service exited with code {code} before {path} answered", process
            )
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _failure(
                f"the service did not answer 2xx at http://{LOOPBACK}:{port}{path} within "
                f"{timeout_s:g} s (last: {last}); raise `startup_timeout` if it is only slow",
                process,
            )
        last = _health_status(port, path, min(2.0, remaining))
        if isinstance(last, int) and 200 <= last < 300:
            return time.monotonic() - started
        last = f"HTTP {last}" if isinstance(last, int) else last
        time.sleep(POLL_INTERVAL_S)


@contextlib.contextmanager
def running(settings: LoadSettings, *, root: Path, python: Path, workdir: Path,
            log_path: Path, base_env: Mapping[str, str]) -> Iterator[RunningService]:
    """Start the service, wait until healthy, and stop its whole process group afterwards,
    however the block ends (pass, fail, error, timeout, Ctrl-C)."""
    port = settings.port if settings.port is not None else free_port()
    if port_accepts(port):
        raise GateError(
            f"port {port} already accepts connections before the service started; the audit "
            "would measure whatever listens there: stop it or choose another `port`"
        )
    cwd = (root / settings.cwd) if settings.cwd else root
    if not cwd.is_dir():
        raise GateError(f"`cwd` {cwd} of the load gate is not a directory")
    cmd = expand_start(settings.start, port, python)
    process = Background(
        cmd, cwd=cwd, log_path=log_path, env=service_env(base_env, settings, python, workdir)
    )
    try:
        startup = wait_healthy(process, port, settings.health, settings.startup_timeout)
        yield RunningService(port, f"http://{LOOPBACK}:{port}", log_path, process, startup)
    finally:
        process.stop()
