"""Text from the audited project never reaches a terminal raw: escape sequences show as `\\x1b`,
rich markup prints as it is. Checked on the real command's output through a pipe (a CI log) and
under a pseudo-terminal (a person's terminal, where the live display runs)."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import write_project

HOSTILE = "\x1b]0;pwned\x07\x1b[2J[bold]x"
"""Sets the terminal's title and clears its screen, with rich markup after it."""
SEQUENCES = (b"\x1b]0;pwned", b"\x1b[2J", b"\x07")


def run_piped(*args: str | Path) -> tuple[int, bytes]:
    proc = subprocess.run(
        [sys.executable, "-m", "auditor", *map(str, args)],
        capture_output=True, check=False, timeout=300, env={**os.environ, "COLUMNS": "250"},
    )
    return proc.returncode, proc.stdout + proc.stderr


def run_on_tty(*args: str | Path) -> tuple[int, bytes]:
    """Run the CLI with stdout and stderr on a pseudo-terminal; everything it wrote there."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "auditor", *map(str, args)],
        stdin=subprocess.DEVNULL, stdout=slave, stderr=slave,
        env={**os.environ, "COLUMNS": "250", "TERM": "xterm-256color"},
    )
    os.close(slave)
    output = bytearray()
    while True:
        ready, _, _ = select.select([master], [], [], 300)
        if not ready:
            proc.kill()
            break
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: every writer closed the terminal
            break
        if not chunk:
            break
        output += chunk
    os.close(master)
    return proc.wait(timeout=30), bytes(output)


RUNNERS = {"pipe": run_piped, "tty": run_on_tty}


def assert_nothing_raw(output: bytes, how: str) -> None:
    for sequence in SEQUENCES:
        assert sequence not in output, (sequence, output[-3000:])
    if how == "pipe":
        assert b"\x1b" not in output, output[-3000:]


def unwrapped(output: bytes) -> str:
    """The output as text with the terminal's line breaks and rich's styling removed."""
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", output.decode("utf-8", "replace"))
    return text.replace("\r", "").replace("\n", "")


@pytest.mark.parametrize("how", RUNNERS)
def test_crashing_conftest_with_escape_sequences(tmp_path: Path, how: str) -> None:
    root = write_project(tmp_path / "proj", {
        "conftest.py": f"raise RuntimeError({HOSTILE!r})\n",
        "app.py": "def one():\n    return 1\n",
        "tests/test_app.py": "from app import one\n\n\ndef test_one():\n    assert one() == 1\n",
    })
    code, output = RUNNERS[how](
        "run", root, "--gates", "coverage", "--python", sys.executable,
        "--out", tmp_path / "out",
    )
    assert code == 3, output
    assert_nothing_raw(output, how)
    shown = unwrapped(output)
    # The verdict table may wrap the reason; these parts stay whole at 250 columns.
    assert "conftest.py (exit code 4)" in shown
    assert "RuntimeError: \\x1b]0;pwned\\x07\\x1b[2J[bold]x" in shown


@pytest.mark.parametrize("how", RUNNERS)
def test_finding_message_and_file_name_with_escape_sequences(tmp_path: Path, how: str) -> None:
    root = write_project(tmp_path / "proj", {
        "app.py": "def one():\n    return 1\n",
        "tests/test_app.py": f"""\
            from pathlib import Path

            from app import one


            def test_fails_with_a_hostile_message():
                Path({HOSTILE + ".txt"!r}).write_text("x")
                assert one() == 2, {HOSTILE!r}
        """,
    })
    code, output = RUNNERS[how](
        "run", root, "--gates", "coverage", "--python", sys.executable,
        "--out", tmp_path / "out",
    )
    assert code == 1, output
    assert_nothing_raw(output, how)
    shown = unwrapped(output)
    assert "the audit added \\x1b]0;pwned\\x07\\x1b[2J[bold]x.txt in the target" in shown


@pytest.mark.parametrize("how", RUNNERS)
def test_config_error_quoting_a_hostile_key(tmp_path: Path, how: str) -> None:
    root = write_project(tmp_path / "proj", {
        "pyproject.toml": f"[tool.audit.coverage]\n{HOSTILE.encode('unicode_escape').decode()!r}"
        " = 1\n".replace("'", '"'),
    })
    code, output = RUNNERS[how]("run", root, "--out", tmp_path / "out")
    assert code == 2, output
    assert_nothing_raw(output, how)
    assert "is not a key of [tool.audit.coverage]" in unwrapped(output)
