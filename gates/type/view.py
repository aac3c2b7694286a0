"""The type gate in the reports: type coverage by module and the errors mypy reported."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from auditor.model import GateResult
from reports import access, text
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
    modules: list[TypeModule]
    more_modules: int
    total: TypeModule | None


def _module(record: dict[str, object], target: float | None, name: str) -> TypeModule:
    return TypeModule(
        module=name,
        bar=bar(access.num(record.get("coverage")), target),
        any=count(record.get("any")),
        total=count(record.get("total")),
    )


class TypeReportView:
    template = "type/view.html.j2"
    findings_noun = "type errors"
    details_keys: Mapping[str, type] = MappingProxyType(
        {"interpreter": str, "modules": list, "total": dict}
    )

    def build(self, gate: GateResult) -> TypeView:
        target = threshold(gate, "type_coverage")
        records = access.records(gate.details.get("modules"))
        records.sort(
            key=lambda m: (access.num(m.get("coverage")) or 0.0, access.text(m.get("module")))
        )
        total = access.mapping(gate.details.get("total"))
        return TypeView(
            interpreter=access.text(gate.details.get("interpreter")),
            modules=[
                _module(m, target, access.text(m.get("module"))) for m in records[:LIST_LIMIT]
            ],
            more_modules=more(len(records)),
            total=_module(total, target, "total") if total else None,
        )

    def where_to_look(self, gate: GateResult, condition_id: str) -> list[str]:
        if condition_id != "type_coverage":
            return files_by_findings(gate)
        modules = sorted(
            (
                m
                for m in access.records(gate.details.get("modules"))
                if access.num(m.get("coverage")) is not None
            ),
            key=lambda m: access.num(m.get("coverage")) or 0.0,
        )
        return [
            f"{access.text(m.get('module'))} at "
            f"{text.with_unit(access.num(m.get('coverage')), '%')}"
            for m in modules[:5]
            if (access.num(m.get("coverage")) or 0.0) < 100
        ]
