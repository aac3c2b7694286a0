"""The history gate in the reports: the window, the main branch, the runs behind each figure,
the failure episodes on the main branch and the branches' first audits."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from auditor import access
from auditor.model import GateResult
from reports import text
from reports.history_metrics import HistoryView, metrics_view


class HistoryReportView:
    template = "view.html.j2"
    findings_noun = "findings"
    details_keys: Mapping[str, type] = MappingProxyType(
        {"window_days": int, "main_branch": str, "figures": dict, "episodes": list,
         "first_audits": list, "since": str}
    )

    def build(self, gate: GateResult) -> HistoryView:
        return metrics_view(gate.details)

    def where_to_look(self, gate: GateResult, condition_id: str) -> list[str]:
        details = gate.details
        if condition_id == "first_time_success_rate":
            return [
                f"{access.text(f.get('branch'))}: first audit {access.text(f.get('status'))}"
                for f in access.records(details.get("first_audits"))
                if access.text(f.get("status")) != "passed"
            ][:5]
        return [
            f"{text.timestamp(access.text(e.get('failed_at')))} failing on "
            f"{access.text(details.get('main_branch'))}"
            for e in access.records(details.get("episodes"))
        ][-5:]
