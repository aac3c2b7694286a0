"""The api gate's details in the scorecard, typed: what the view and the reports read.

The field names are the scorecard's JSON keys; msgspec writes them and reads them back, and a
value of the wrong type is a validation error naming the field.
"""

from __future__ import annotations

import msgspec

from auditor.model import Details


class Problem(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True,
              forbid_unknown_fields=True):
    """One failure at an operation: what broke, the answer, and how to send the request again."""

    condition: str
    code: str
    """schemathesis's failure code (`ST101`), or `leak` for an error body giving internals away."""
    title: str
    check: str
    status: int | None
    curl: str
    log_lines: tuple[str, ...] = ()
    """The service's log while the request was sent again (for a 5xx)."""
    reproduced_status: int | None = None
    """The status the request got when the gate sent it again, or None when not replayed."""


class FailingOperation(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """An operation with at least one problem, where its handler is when known."""

    operation: str
    path: str
    line: int | None
    problems: tuple[Problem, ...]


class ReportedCount(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One failure group of schemathesis's JSON run report (`failures[]`): one title's failures."""

    code: str
    title: str
    count: int
    operations: tuple[str, ...]


class Tally(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """How one condition's figure was counted, beside schemathesis's own figure for it."""

    condition: str
    value: int
    """The condition's figure."""
    counts: str
    """What one unit of `value` is: `unique failures` (schemathesis's) or `operations`."""
    schemathesis: int | None
    """schemathesis's figure in its JSON run report (its groups of the condition's codes summed);
    None when the condition is the gate's own, which schemathesis does not count."""
    operations: tuple[str, ...]
    """The operations with at least one: a figure of its own, smaller when one operation failed
    more than once."""
    groups: tuple[ReportedCount, ...] = ()
    """schemathesis's failure groups that make up `schemathesis`."""
    difference: str
    """How `value` relates to `schemathesis` (equal, or why the gate counts otherwise)."""


class ApiDetails(Details, frozen=True):
    """What the run was (seed, examples, schema, checks) and the failing operations."""

    seed: int | None = None
    max_examples: int | None = None
    schema: str | None = None
    """A path on the service (`/openapi.json`) or a file of the target."""
    checks: tuple[str, ...] = ()
    """The condition groups whose checks ran."""
    operations_tested: int | None = None
    test_cases: int | None = None
    failing: tuple[FailingOperation, ...] = ()
    tallies: tuple[Tally, ...] = ()
    """Each measured condition's figure beside schemathesis's own."""
    schemathesis_report: str | None = None
    """Where schemathesis's JSON run report of this run was kept."""
    service_log: str | None = None
    """Where the service's output was kept."""
    notes: tuple[str, ...] = ()
    service_table: str | None = None
    """The table the service keys (`start`, `health`, ...) were read from: `[tool.audit.api]`,
    or `[tool.audit.load]` when the api table sets no `start` of its own."""
    schema_source: str | None = None
    """How the gate made the schema it used (a Django project's, generated into its work
    directory); None when `schema` named it."""
    unauthenticated_operations: tuple[str, ...] = ()
    """Operations that answered only 401/403: outside every condition's population."""
    operations_in_schema: int | None = None
    """The operations of the OpenAPI schema, which `undocumented_operations` and
    `undeclared_statuses` judge."""
