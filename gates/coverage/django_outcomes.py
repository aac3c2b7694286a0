"""The outcomes Django's test runner reached, as django_outcomes_runner writes them: typed, and
counted the way Django's summary line counts them.

A test is one unittest test id. Django prints `failures=` and `errors=` as the lengths of its
result's lists, where a test with two failing subtests appears twice; the gate counts failing
tests, each once. A class or module fixture that failed (`setUpClass`) is an error unittest
reports in place of the tests it held, which never ran: it counts as one erroring test, as
pytest's JUnit report counts a collection error.
An unexpected success (`@expectedFailure` that passed) fails Django's run (unittest's
`wasSuccessful()` is False, `manage.py test` exits 1), so it is a failing test here too.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from auditor.errors import GateError
from gates.coverage.parse import FailedTest, SuiteCounts

RUNNER_MODULE = "_audit_django_runner"
"""The module name the outcome-writing runner is loaded as in the target's test run."""
RUNNER_CLASS = f"{RUNNER_MODULE}.AuditRunner"
ENV_VAR = "AUDIT_DJANGO_OUTCOMES"
"""Names the file the runner writes (its own copy of the name: it imports nothing of the
auditor)."""
UNEXPECTED_SUCCESS = "unexpected success: marked @expectedFailure, but it passed"


class Outcome(msgspec.Struct, frozen=True):
    """One test's outcome, as the runner writes it."""

    id: str
    is_test: bool
    message: str


class DjangoOutcomes(msgspec.Struct, frozen=True):
    """The file the runner writes after the suite ran."""

    tests_run: Annotated[int, msgspec.Meta(ge=0)]
    failures: list[Outcome]
    errors: list[Outcome]
    skipped: list[Outcome]
    expected_failures: list[Outcome]
    unexpected_successes: list[Outcome]


def decode_outcomes(raw: bytes) -> DjangoOutcomes:
    """RAW as DjangoOutcomes; an unreadable file is a GateError naming the field."""
    try:
        return msgspec.json.decode(raw, type=DjangoOutcomes)
    except msgspec.DecodeError as exc:
        raise GateError(
            f"the auditor's Django test runner (`--testrunner {RUNNER_CLASS}`) wrote outcomes "
            f"that cannot be read: {exc}"
        ) from None


def _failed(outcome: Outcome, kind: str, message: str | None = None) -> FailedTest:
    classname, _, name = outcome.id.rpartition(".")
    if not outcome.is_test:
        # `setUpClass (catalog.tests.ProductTests)`: the fixture names its class in brackets.
        fixture, _, owner = outcome.id.partition(" (")
        classname, name = owner.rstrip(")") or outcome.id, fixture
    return FailedTest(
        classname=classname,
        name=name,
        kind=kind,
        message=outcome.message if message is None else message,
    )


def suite_counts(outcomes: DjangoOutcomes) -> SuiteCounts:
    """Django's outcomes counted per test, as the coverage gate counts pytest's."""
    failing: dict[str, FailedTest] = {}
    for outcome in outcomes.errors:
        failing.setdefault(outcome.id, _failed(outcome, "error"))
    for outcome in outcomes.failures:
        failing.setdefault(outcome.id, _failed(outcome, "failure"))
    for outcome in outcomes.unexpected_successes:
        failing.setdefault(outcome.id, _failed(outcome, "failure", UNEXPECTED_SUCCESS))
    skipped = {o.id for o in outcomes.skipped} - failing.keys()
    xfailed = {o.id for o in outcomes.expected_failures} - failing.keys() - skipped
    fixtures = sum(not o.is_test for o in outcomes.errors + outcomes.failures)
    failures = tuple(failing.values())
    failed = sum(f.kind == "failure" for f in failures)
    errors = len(failures) - failed
    collected = outcomes.tests_run + fixtures
    passed = collected - len(failures) - len(skipped) - len(xfailed)
    if passed < 0:
        raise GateError(
            f"Django's test runner reported more outcomes ({collected - passed}) than tests "
            f"({collected})"
        )
    return SuiteCounts(
        collected=collected,
        passed=passed,
        failed=failed,
        errors=errors,
        skipped=len(skipped),
        failures=failures,
        xfailed=len(xfailed),
        xpassed=0,
    )
