"""The api gate in the reports: the run's seed and size, failing operations and reproductions."""

from __future__ import annotations

from dataclasses import dataclass

from auditor.model import GateResult
from gates.api.details import ApiDetails, FailingOperation, Tally
from reports import text
from reports.viewkit import LIST_LIMIT, more

CONDITION_NAMES = {
    "server_errors": "server error",
    "contract_violations": "contract",
    "invalid_input_accepted": "invalid input accepted",
    "auth_ignored": "authentication ignored",
    "leaky_errors": "leaky error",
    "undocumented_operations": "undocumented operation",
    "undeclared_statuses": "undeclared status",
}


@dataclass(frozen=True)
class CountedRow:
    """One condition's figure beside schemathesis's own, as the table shows it."""

    condition: str
    value: str
    schemathesis: str
    counts: str
    operations: str
    difference: str


@dataclass(frozen=True)
class ApiView:
    figures: list[tuple[str, str]]
    failing: list[FailingOperation]
    more_failing: int
    service_log: str
    notes: list[str]
    counted: list[CountedRow]
    schemathesis_report: str


def counted_row(tally: Tally) -> CountedRow:
    groups = ", ".join(f"{g.code} {g.title}: {g.count}" for g in tally.groups)
    own = text.number(tally.schemathesis) if tally.schemathesis is not None else "—"
    return CountedRow(
        condition=CONDITION_NAMES.get(tally.condition, tally.condition),
        value=text.number(tally.value),
        schemathesis=f"{own} ({groups})" if groups else own,
        counts=tally.counts,
        operations=text.number(len(tally.operations)),
        difference=tally.difference,
    )


class ApiReportView:
    template = "view.html.j2"
    findings_noun = "failures"

    def build(self, gate: GateResult) -> ApiView | None:
        details = gate.details
        if not isinstance(details, ApiDetails):
            return None

        def shown(value: int | None) -> str:
            return text.number(value) if value is not None else "—"

        return ApiView(
            figures=[
                ("seed", str(details.seed) if details.seed is not None else "—"),
                ("examples per operation", shown(details.max_examples)),
                ("operations tested", shown(details.operations_tested)),
                ("generated requests", shown(details.test_cases)),
                ("schema", details.schema or "—"),
            ],
            failing=list(details.failing[:LIST_LIMIT]),
            more_failing=more(len(details.failing)),
            service_log=details.service_log or "",
            notes=list(details.notes),
            counted=[counted_row(t) for t in details.tallies],
            schemathesis_report=details.schemathesis_report or "",
        )

    def where_to_look(self, gate: GateResult, condition_id: str) -> list[str]:
        details = gate.details
        if not isinstance(details, ApiDetails):
            return []
        pointers: list[str] = []
        for op in details.failing:
            for problem in op.problems:
                if problem.condition != condition_id:
                    continue
                where = f" ({op.path}:{op.line})" if op.path and op.line else ""
                pointers.append(
                    f"{op.operation}{where}: {problem.code} {problem.title}; "
                    f"reproduce: {text.shorten(problem.curl, 160)}"
                )
        return pointers[:5]
