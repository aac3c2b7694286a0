"""A Django test runner the coverage gate names with `manage.py test --testrunner` (copied,
alone, into the gate's work directory): the project's own runner (its `TEST_RUNNER` setting,
Django's DiscoverRunner by default), which also writes the outcomes of its unittest result as
JSON, the figures Django's summary line prints (`Ran 5 tests`, `FAILED (failures=1,
skipped=1)`).

It imports nothing from the auditor: it runs inside the target's interpreter.
"""

from __future__ import annotations

import json
import os
import unittest
from pathlib import Path
from typing import Any

from django.conf import settings
from django.test.utils import get_runner

ENV_VAR = "AUDIT_DJANGO_OUTCOMES"
"""Names the outcomes file (gates.coverage.django_outcomes.ENV_VAR)."""
MESSAGE_LIMIT = 2000

_ProjectRunner: Any = get_runner(settings)


def _entry(test: object, detail: str = "") -> dict[str, object]:
    """One outcome: the test's id, whether it is a test (not a class or module fixture that
    failed, which unittest reports in place of the tests it held) and the last line of its
    traceback or reason."""
    lines = [line for line in str(detail).strip().splitlines() if line.strip()]
    test_id = test.id() if hasattr(test, "id") else str(test)
    return {
        "id": str(test_id),
        "is_test": isinstance(test, unittest.TestCase),
        "message": (lines[-1] if lines else "")[:MESSAGE_LIMIT],
    }


def write_outcomes(result: unittest.TestResult) -> None:
    """Write every outcome of RESULT, each key always (read by gates.coverage.django_run)."""
    path = os.environ.get(ENV_VAR)
    if not path:
        return
    outcomes = {
        "tests_run": result.testsRun,
        "failures": [_entry(test, detail) for test, detail in result.failures],
        "errors": [_entry(test, detail) for test, detail in result.errors],
        "skipped": [_entry(test, reason) for test, reason in result.skipped],
        "expected_failures": [_entry(test) for test, _ in result.expectedFailures],
        "unexpected_successes": [_entry(test) for test in result.unexpectedSuccesses],
    }
    Path(path).write_text(json.dumps(outcomes), encoding="utf-8")


class AuditRunner(_ProjectRunner):  # type: ignore[misc]
    """The project's runner, unchanged but for writing its result's outcomes."""

    def run_suite(self, suite: object, **kwargs: object) -> unittest.TestResult:
        result: unittest.TestResult = super().run_suite(suite, **kwargs)
        write_outcomes(result)
        return result
