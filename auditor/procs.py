"""The one way the auditor runs external tools.

Commands are lists (never a shell), each runs in its own process group so that a timeout,
an interrupt or the end of a background service kills the whole tree, and output goes to
files in a private directory so it is captured with a bound and decoded with errors replaced.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from auditor.errors import GateError, ProcessTimeoutError, ToolMissingError

MAX_OUTPUT_BYTES = 64 * 1024 * 1024
TERMINATE_GRACE_S = 3.0
YIELDING_NICENESS = 10
"""What the tools of a gate that yields the CPU add to their nice value: under contention they
get about a tenth of what a process at the normal priority gets (Linux's CFS weights)."""

_live_groups: set[int] = set()
_live_lock = threading.Lock()
_shutting_down = threading.Event()


@dataclass(frozen=True)
class ProcResult:
    """A finished command: its exit code and decoded output."""

    cmd: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    duration_s: float
    truncated: bool = False
    """True when stdout or stderr went past the capture bound and was cut."""

    def last_line(self) -> str:
        """The last non-empty line the command wrote (stderr first): usually the error itself."""
        for text in (self.stderr, self.stdout):
            lines = [line.strip() for line in text.splitlines() if line.strip()]
            if lines:
                return lines[-1][:300]
        return "no output"

    def describe(self, tail_lines: int = 20) -> str:
        """The command, its exit code and the indented tail of its output, for error reasons."""
        output = (self.stderr.strip() or self.stdout.strip()).splitlines()[-tail_lines:]
        shown = "\n".join("    " + line for line in output) or "    (no output)"
        return f"`{' '.join(self.cmd)}` exited with code {self.returncode}:\n{shown}"


def _register(pgid: int) -> None:
    with _live_lock:
        _live_groups.add(pgid)


def _unregister(pgid: int) -> None:
    with _live_lock:
        _live_groups.discard(pgid)


def _signal_group(pgid: int, sig: int) -> bool:
    """Send a signal to a process group; False when no process of it is left."""
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def kill_group(proc: subprocess.Popen[bytes], grace_s: float = TERMINATE_GRACE_S) -> None:
    """Terminate a process group, then kill it when it has not ended after `grace_s`."""
    pgid = proc.pid
    if proc.poll() is None:
        _signal_group(pgid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=grace_s)
    # Whatever is left of the group (the leader or children it left behind) is killed.
    _signal_group(pgid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=grace_s)
    _unregister(pgid)


def shutdown() -> None:
    """Stop starting new processes and kill every process group still running (Ctrl-C, SIGTERM)."""
    _shutting_down.set()
    kill_all_live()


def reset() -> None:
    """Allow processes to start again after a shutdown (a new audit in the same process)."""
    _shutting_down.clear()


def kill_all_live() -> None:
    """Kill every process group still running."""
    with _live_lock:
        groups = list(_live_groups)
        _live_groups.clear()
    for pgid in groups:
        _signal_group(pgid, signal.SIGTERM)
    deadline = time.monotonic() + TERMINATE_GRACE_S
    for pgid in groups:
        # Signal 0 only asks whether any process of the group is still there.
        while time.monotonic() < deadline and _signal_group(pgid, 0):
            time.sleep(0.05)
        _signal_group(pgid, signal.SIGKILL)


def _read_bounded(handle: IO[bytes], limit: int) -> tuple[str, bool]:
    handle.seek(0)
    data = handle.read(limit + 1)
    truncated = len(data) > limit
    return data[:limit].decode("utf-8", errors="replace"), truncated


def _popen(
    cmd: Sequence[str],
    cwd: Path,
    env: Mapping[str, str] | None,
    stdout: IO[bytes] | int,
    stderr: IO[bytes] | int,
    niceness: int = 0,
) -> subprocess.Popen[bytes]:
    if _shutting_down.is_set():
        raise GateError("the audit was interrupted")
    try:
        proc = subprocess.Popen(
            list(cmd),
            cwd=cwd,
            env=dict(env) if env is not None else None,
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,
        )
    except FileNotFoundError as exc:
        raise ToolMissingError(f"`{cmd[0]}` was not found; install it or check the path") from exc
    except PermissionError as exc:
        raise ToolMissingError(f"`{cmd[0]}` is not executable: {exc.strerror}") from exc
    _register(proc.pid)
    if niceness:
        # Set right after the start (preexec_fn is unsafe with threads); what the child starts
        # afterwards inherits it. A system that refuses only leaves the priority as it was.
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, proc.pid, niceness)
    return proc


def run(
    cmd: Sequence[str],
    *,
    cwd: Path,
    timeout: float,
    env: Mapping[str, str] | None = None,
    max_output: int = MAX_OUTPUT_BYTES,
    niceness: int = 0,
) -> ProcResult:
    """Run `cmd` to completion and capture its output, at NICENESS (added to the CPU priority's
    nice value, as `nice -n`).

    Raises ToolMissingError when the executable does not exist and ProcessTimeoutError
    when it runs past `timeout` seconds (its whole process group is killed first).
    Any process the command left behind in its group is killed when it ends.
    """
    if timeout <= 0:
        raise ProcessTimeoutError(f"no time was left to run `{' '.join(cmd)}`")
    started = time.monotonic()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = _popen(cmd, cwd, env, out, err, niceness)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_group(proc)
            raise ProcessTimeoutError(
                f"`{' '.join(cmd)}` did not finish within {timeout:.0f} s and was stopped"
            ) from None
        except BaseException:
            kill_group(proc)
            raise
        kill_group(proc, grace_s=0.5)
        stdout, cut_out = _read_bounded(out, max_output)
        stderr, cut_err = _read_bounded(err, max_output)
    return ProcResult(
        cmd=tuple(cmd),
        returncode=proc.returncode,
        stdout=stdout,
        stderr=stderr,
        duration_s=time.monotonic() - started,
        truncated=cut_out or cut_err,
    )


class Background:
    """A long-running child (a service under test, a load generator) with its output in a log."""

    def __init__(
        self,
        cmd: Sequence[str],
        *,
        cwd: Path,
        log_path: Path,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.cmd = tuple(cmd)
        self.log_path = log_path
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = log_path.open("wb")
        try:
            self.proc = _popen(cmd, cwd, env, self._log, subprocess.STDOUT)
        except BaseException:
            self._log.close()
            raise

    def poll(self) -> int | None:
        """The exit code when the process has ended, else None."""
        return self.proc.poll()

    def wait(self, timeout: float) -> int:
        """Wait for the process to end; on timeout stop it and raise ProcessTimeoutError."""
        try:
            return self.proc.wait(timeout=max(timeout, 0.0))
        except subprocess.TimeoutExpired:
            self.stop()
            raise ProcessTimeoutError(
                f"`{' '.join(self.cmd)}` did not finish within {timeout:.0f} s and was stopped"
            ) from None

    def stop(self, grace_s: float = TERMINATE_GRACE_S) -> None:
        """Terminate the whole process group, then kill it; idempotent."""
        kill_group(self.proc, grace_s=grace_s)
        self._log.close()

    def log_tail(self, lines: int = 30) -> str:
        """The last lines the process wrote."""
        if not self._log.closed:
            self._log.flush()
        try:
            text = self.log_path.read_bytes()[-64_000:].decode("utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def __enter__(self) -> Background:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()
