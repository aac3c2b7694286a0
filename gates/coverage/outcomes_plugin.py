"""A pytest plugin the coverage gate loads into the target's test run (copied, alone, into the
gate's work directory and loaded with `-p`): it counts what pytest's JUnit report does not hold.

- pytest writes an xpassed test (an `xfail` test that passed, not strict) as a plain pass,
  while its summary counts it as `xpassed`;
- the warnings of pytest's warnings summary are in no report at all. They are counted from the
  same hook that feeds the summary's count (`pytest_warning_recorded`), with the first few kept.

It imports nothing from the auditor: it runs inside the target's interpreter.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

ENV_VAR = "AUDIT_PYTEST_OUTCOMES"
SAMPLES = 5
_counts: dict[str, int] = {"xpassed": 0, "warnings": 0}
_samples: list[dict[str, object]] = []


def pytest_runtest_logreport(report: object) -> None:
    """Count a passed call of an xfail test, as pytest's terminal summary does."""
    passed = getattr(report, "passed", False)
    if getattr(report, "when", "") == "call" and passed and hasattr(report, "wasxfail"):
        _counts["xpassed"] += 1


def pytest_warning_recorded(warning_message: object) -> None:
    """Count a warning of the warnings summary, as pytest's terminal summary does."""
    _counts["warnings"] += 1
    if len(_samples) < SAMPLES:
        category = getattr(warning_message, "category", None)
        lineno = getattr(warning_message, "lineno", None)
        _samples.append({
            "category": str(getattr(category, "__name__", "Warning")),
            "message": str(getattr(warning_message, "message", "")),
            "filename": str(getattr(warning_message, "filename", "")),
            "lineno": lineno if isinstance(lineno, int) else None,
        })


def pytest_sessionfinish(session: object) -> None:
    """Write every count and the samples, each key always (read by gates.coverage.outcomes as
    `_Outcomes`: a missing or mistyped key is an error there, never a 0)."""
    path = os.environ.get(ENV_VAR)
    if path:
        Path(path).write_text(json.dumps({**_counts, "samples": _samples}), encoding="utf-8")
