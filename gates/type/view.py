"""The type gate in the reports: type coverage by module and the errors mypy reported."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

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
    details_keys: Mapping[str, type] = MappingProxyType(
        {"interpreter": str, "modules": list, "total": dict, "checked": str}
    )

    def build(self, gate: GateResult) -> TypeView:
        target = threshold(gate, "type_coverage")
        details = TypeDetails.from_dict(gate.details)
        records = sorted(details.modules or (), key=lambda m: (m.coverage or 0.0, m.module or ""))
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
        measured = TypeDetails.from_dict(gate.details).modules or ()
        modules = sorted(
            (m for m in measured if m.coverage is not None), key=lambda m: m.coverage or 0.0
        )
        return [
            f"{m.module} at {text.with_unit(m.coverage, '%')}"
            for m in modules[:5]
            if (m.coverage or 0.0) < 100
        ]
