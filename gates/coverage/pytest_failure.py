"""Why pytest stopped, told from what it printed rather than from its exit code alone.

pytest exits 4 both for a command line it cannot parse and for a `conftest.py` it cannot
import, and 2 when collection failed, a conftest below the root included. A reader needs to
know which: the fix of one is in `pytest_args`, of the other in the project's own code.
Pure functions of pytest's output, tested on what the real pytest prints.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from gates.paths import relative_to_root

# pytest's exit codes (https://docs.pytest.org/en/stable/reference/exit-codes.html).
PYTEST_ERRORS = {
    2: "was interrupted, usually by errors while collecting tests",
    3: "hit an internal error",
    4: "was called wrongly (check `pytest_args` and the project's pytest addopts)",
    5: "collected no tests, so nothing was measured",
}

# Printed by pytest (_pytest/config) when an initial conftest raises, whatever the exception.
_CONFTEST_LOAD = re.compile(r"ImportError while loading conftest '(?P<path>[^']+)'")
# A traceback entry of a conftest's module level, as pytest prints it while collecting.
_CONFTEST_FRAME = re.compile(r"^(?P<path>\S*conftest\.py):\d+: in <module>$")
# pytest's line that names the exception of a traceback.
_EXCEPTION = re.compile(r"^E\s+(?P<exc>\S.*)$")
# argparse's usage error, as pytest prints it: "ERROR: usage: ..." then "...: error: ...".
_USAGE = re.compile(r"^\S.*: error: (?P<problem>.+)$")


@dataclass(frozen=True)
class Explanation:
    """What went wrong and the line of pytest's output that shows it."""

    what: str
    quote: str | None
    """The exception or usage message pytest printed; None: its last line tells it."""


def _exception_after(lines: list[str], start: int) -> str | None:
    for line in lines[start:]:
        match = _EXCEPTION.match(line)
        if match:
            return match["exc"].strip()
    return None


def _conftest_error(lines: list[str], root: Path) -> Explanation | None:
    for index, line in enumerate(lines):
        match = _CONFTEST_LOAD.search(line) or _CONFTEST_FRAME.match(line.strip())
        if match:
            path = relative_to_root(match["path"], root)
            return Explanation(
                f"pytest could not import the project's {path}",
                _exception_after(lines, index + 1),
            )
    return None


def explain(code: int, stdout: str, stderr: str, root: Path) -> Explanation:
    """Why pytest exited with CODE (one of PYTEST_ERRORS or a crash), from its output."""
    lines = (stderr + "\n" + stdout).splitlines()
    if code in (2, 4):
        conftest = _conftest_error(lines, root)
        if conftest is not None:
            return conftest
    if code == 4:
        problems = [m["problem"] for m in map(_USAGE.match, lines) if m]
        return Explanation(f"pytest {PYTEST_ERRORS[4]}", problems[0] if problems else None)
    if code in PYTEST_ERRORS:
        return Explanation(f"pytest {PYTEST_ERRORS[code]}", None)
    return Explanation("the test run crashed", None)
