"""The subprocess wrapper: bounded capture, timeouts that kill the whole group, missing tools."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from auditor import procs
from auditor.errors import ProcessTimeoutError, ToolMissingError


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); it is gone for every purpose that matters here.
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split()[2] != "Z"


def test_captures_output_and_exit_code(tmp_path: Path) -> None:
    result = procs.run(
        [sys.executable, "-c",
         "import sys; print('out'); print('err', file=sys.stderr); sys.exit(3)"],
        cwd=tmp_path, timeout=30,
    )
    assert (result.returncode, result.stdout.strip(), result.stderr.strip()) == (3, "out", "err")
    assert "exited with code 3" in result.describe()


def test_output_is_bounded_and_decoded_with_replacement(tmp_path: Path) -> None:
    code = "import sys; sys.stdout.buffer.write(b'\\xff' + b'x' * 5000)"
    result = procs.run([sys.executable, "-c", code], cwd=tmp_path, timeout=30, max_output=1000)
    assert result.truncated
    assert len(result.stdout) == 1000
    assert result.stdout.startswith("\ufffd")


def test_missing_executable(tmp_path: Path) -> None:
    with pytest.raises(ToolMissingError, match="was not found"):
        procs.run([str(tmp_path / "no-such-tool")], cwd=tmp_path, timeout=5)


def test_timeout_kills_the_whole_group(tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    code = (
        "import subprocess, sys, time;"
        f"p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']);"
        f"open({str(pidfile)!r}, 'w').write(str(p.pid));"
        "time.sleep(60)"
    )
    started = time.monotonic()
    with pytest.raises(ProcessTimeoutError, match="did not finish within 2 s"):
        procs.run([sys.executable, "-c", code], cwd=tmp_path, timeout=2)
    assert time.monotonic() - started < 10
    child = int(pidfile.read_text())
    deadline = time.monotonic() + 5
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(child)


def test_children_left_behind_are_killed(tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    code = (
        "import subprocess, sys;"
        "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']);"
        f"open({str(pidfile)!r}, 'w').write(str(p.pid))"
    )
    procs.run([sys.executable, "-c", code], cwd=tmp_path, timeout=30)
    child = int(pidfile.read_text())
    deadline = time.monotonic() + 5
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(child)


def test_background_stop_and_log_tail(tmp_path: Path) -> None:
    code = "import time; print('ready', flush=True); time.sleep(60)"
    service = procs.Background([sys.executable, "-c", code], cwd=tmp_path,
                               log_path=tmp_path / "svc.log")
    deadline = time.monotonic() + 10
    while "ready" not in service.log_tail() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert service.poll() is None
    service.stop()
    assert service.poll() is not None
    assert "ready" in service.log_tail()


def test_a_yielding_child_runs_at_a_lower_cpu_priority(tmp_path: Path) -> None:
    show = [sys.executable, "-c", "import os; print(os.nice(0))"]
    normal = procs.run(show, cwd=tmp_path, timeout=30)
    lower = procs.run(show, cwd=tmp_path, timeout=30, niceness=procs.YIELDING_NICENESS)
    assert int(normal.stdout) == os.nice(0)
    assert int(lower.stdout) == min(os.nice(0) + procs.YIELDING_NICENESS, 19)
