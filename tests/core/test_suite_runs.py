"""How a run of this suite ends: skips fail under CI, and a run cut short by SIGTERM stops the
servers it started. Each runs pytest on a small test file of its own, in a subprocess."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent.parent
# The suite's own configuration and rules, on a test file outside it.
PLUGINS = ("-c", str(REPO / "pyproject.toml"), "-p", "tests.postgres", "-p", "tests.tiers",
           "-p", "no:cacheprovider")


def _pytest(tmp_path: Path, source: str, env: dict[str, str]) -> subprocess.Popen[str]:
    test = tmp_path / "test_inner.py"
    test.write_text(textwrap.dedent(source), encoding="utf-8")
    return subprocess.Popen(
        [sys.executable, "-m", "pytest", *PLUGINS, "--rootdir", str(tmp_path), str(test)],
        cwd=REPO, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.mark.parametrize(("ci", "code", "said"), [
    ("1", 1, "was skipped under CI (Chromium is missing)"),
    ("", 0, "1 skipped"),
])
def test_a_skipped_test_fails_under_ci(tmp_path: Path, ci: str, code: int, said: str) -> None:
    proc = _pytest(tmp_path, """
        import pytest

        def test_needs_a_browser():
            pytest.skip("Chromium is missing")
    """, {"CI": ci})
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == code, out
    assert said in out


def test_sigterm_stops_the_run_and_its_postgresql(tmp_path: Path) -> None:
    ready = tmp_path / "ready"
    proc = _pytest(tmp_path, f"""
        import time
        from pathlib import Path

        def test_holds_the_server(postgres):
            Path({str(ready)!r}).write_text(str(postgres.directory))
            time.sleep(120)
    """, {"CI": ""})
    deadline = time.monotonic() + 90
    while not ready.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert ready.exists(), proc.communicate(timeout=30)[0]
    directory = ready.read_text(encoding="utf-8")
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode != 0, out
    running = subprocess.run(["pgrep", "-f", directory], capture_output=True, text=True,
                             check=False)
    assert running.stdout == "", "the suite's PostgreSQL outlived the run"
    assert not Path(directory).exists(), "the server's directory was left behind"
