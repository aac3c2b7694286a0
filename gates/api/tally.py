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
    "contract_violations": "one per operation and failure kind",
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
        elif condition in OWN_PROBLEMS:
            found.append(_own_tally(report, condition, failing))
    return tuple(found)


OWN_PROBLEMS: dict[str, str] = {
    "undeclared_statuses": "the gate's own figure, from every recorded response: one per "
    "operation and status below 500 its responses do not declare; schemathesis's ST103 finds "
    "a subset of these (it also counts 5xx, which are server errors here)",
    "undocumented_operations": "the gate's own figure, from the schema (schemathesis has no such "
    "check): one per operation without a description or with a parameter or body without a "
    "schema",
}
"""The conditions the gate counts as problems of its own, one per problem, and how."""
SCHEMATHESIS_CHECKED = frozenset({"undeclared_statuses"})
"""Those a check of schemathesis also looks at, whose figure is shown beside."""


def _own_tally(
    report: parse.RunReport, condition: str, failing: Iterable[FailingOperation]
) -> Tally:
    problems = [
        (op.operation, p) for op in failing for p in op.problems if p.condition == condition
    ]
    groups = tuple(
        ReportedCount(code=g.code, title=g.title, count=g.count, operations=g.operations)
        for g in report.groups
        if parse.condition_of(g.code) == condition
    )
    return Tally(
        condition=condition,
        value=len(problems),
        counts="operations and statuses" if condition == "undeclared_statuses" else OPERATIONS,
        schemathesis=sum(g.count for g in groups) if condition in SCHEMATHESIS_CHECKED else None,
        operations=tuple(sorted({name for name, _ in problems})),
        groups=groups,
        difference=OWN_PROBLEMS[condition],
    )


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
