"""Each condition's figure, beside schemathesis's own in its JSON run report.

The four conditions schemathesis's checks feed are its unique failures of their codes (parse.py
says what schemathesis counts as one), so each equals the sum of its JSON report's groups of those
codes; the operations they hit are reported beside, never instead. `leaky_errors` is the gate's own
figure (schemathesis has no such check): operations, stated as such.
"""

from __future__ import annotations

from collections.abc import Iterable

from gates.api import parse
from gates.api.details import FailingOperation, ReportedCount, Tally

UNIQUE = "unique failures"
OPERATIONS = "operations"

COUNTED_AS: dict[str, str] = {
    "server_errors": "ST101/ST102, one per operation and 5xx status: an operation that answered "
    "500 and 503 counts 2",
    "contract_violations": "one per operation and failure kind, an undocumented status one per "
    "status",
    "invalid_input_accepted": "ST201 one per operation and status, ST203 one per operation",
    "auth_ignored": "ST401/ST402, one per operation whichever probe found it; its report groups "
    "ST401 by title, the gate sums the groups",
}
"""What one of schemathesis's unique failures is, by condition."""

LEAKY_DIFFERENCE = (
    "the gate's own figure, not schemathesis's (it has no such check): operations whose 4xx/5xx "
    "body shows a traceback, the service's file paths or SQL text, one per operation"
)


def tallies(report: parse.RunReport, failing: Iterable[FailingOperation],
            conditions: Iterable[str]) -> tuple[Tally, ...]:
    """The figure of each of CONDITIONS (those measured), with how it was counted."""
    figures = parse.report_figures(report)
    found: list[Tally] = []
    for condition in conditions:
        if condition in figures:
            found.append(_schemathesis_tally(report, condition, figures[condition]))
        elif condition == "leaky_errors":
            found.append(_leaky_tally(failing))
    return tuple(found)


def _schemathesis_tally(report: parse.RunReport, condition: str, value: int) -> Tally:
    groups = tuple(
        ReportedCount(code=g.code, title=g.title, count=g.count, operations=g.operations)
        for g in report.groups if parse.condition_of(g.code) == condition
    )
    operations = sorted({op for group in groups for op in group.operations})
    return Tally(
        condition=condition,
        value=value,
        counts=UNIQUE,
        schemathesis=sum(group.count for group in groups),
        operations=tuple(operations),
        groups=groups,
        difference=f"equal to schemathesis's count: {COUNTED_AS[condition]}; "
        f"{len(operations)} operation(s) affected",
    )


def _leaky_tally(failing: Iterable[FailingOperation]) -> Tally:
    operations = tuple(
        op.operation for op in failing
        if any(p.condition == "leaky_errors" for p in op.problems)
    )
    return Tally(
        condition="leaky_errors",
        value=len(operations),
        counts=OPERATIONS,
        schemathesis=None,
        operations=operations,
        difference=LEAKY_DIFFERENCE,
    )
