"""The type gate in the reports: type coverage by module and the errors mypy reported."""

from __future__ import annotations

from dataclasses import dataclass

from auditor.model import GateResult
from gates.type.details import AnyFigures, TypeDetails
from reports import text
from reports.viewkit import LIST_LIMIT, Bar, bar, count, files_by_findings, more, threshold


@dataclass(frozen=True)
class TypeModule:
    module: str
    bar: Bar
    any: str
    total: str


@dataclass(frozen=True)
class TypeView:
    interpreter: str
    checked: str
    """What mypy checked and why."""
    modules: list[TypeModule]
    more_modules: int
    total: TypeModule | None


def _module(figures: AnyFigures, target: float | None, name: str) -> TypeModule:
    return TypeModule(
        module=name,
        bar=bar(figures.coverage, target),
        any=count(figures.any),
        total=count(figures.total),
    )


class TypeReportView:
    template = "view.html.j2"
    findings_noun = "type errors"

    def build(self, gate: GateResult) -> TypeView | None:
        details = gate.details
        if not isinstance(details, TypeDetails):
            return None
        target = threshold(gate, "type_coverage")
        records = sorted(details.modules, key=lambda m: (m.coverage or 0.0, m.module or ""))
        return TypeView(
            interpreter=details.interpreter or "",
            checked=details.checked or "",
            modules=[_module(m, target, m.module or "") for m in records[:LIST_LIMIT]],
            more_modules=more(len(records)),
            total=_module(details.total, target, "total") if details.total else None,
        )

    def where_to_look(self, gate: GateResult, condition_id: str) -> list[str]:
        if condition_id != "type_coverage":
            return files_by_findings(gate)
        details = gate.details
        if not isinstance(details, TypeDetails):
            return []
        modules = sorted(
            (m for m in details.modules if m.coverage is not None),
            key=lambda m: m.coverage or 0.0,
        )
        return [
            f"{m.module} at {text.with_unit(m.coverage, '%')}"
            for m in modules[:5]
            if (m.coverage or 0.0) < 100
        ]
