"""A pytest plugin the coverage gate loads into the target's test run (copied, alone, into the
gate's work directory and loaded with `-p`): it counts what pytest's JUnit report cannot tell
apart. pytest writes an xpassed test (an `xfail` test that passed, not strict) as a plain pass,
while its summary counts it as `xpassed`; this records how many there were.

It imports nothing from the auditor: it runs inside the target's interpreter.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

ENV_VAR = "AUDIT_PYTEST_OUTCOMES"
_counts: dict[str, int] = {"xpassed": 0}


def pytest_runtest_logreport(report: object) -> None:
    """Count a passed call of an xfail test, as pytest's terminal summary does."""
    passed = getattr(report, "passed", False)
    if getattr(report, "when", "") == "call" and passed and hasattr(report, "wasxfail"):
        _counts["xpassed"] += 1


def pytest_sessionfinish(session: object) -> None:
    path = os.environ.get(ENV_VAR)
    if path:
        Path(path).write_text(json.dumps(_counts), encoding="utf-8")
