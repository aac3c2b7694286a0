"""The history gate in the reports: the window, the main branch, the runs behind each figure,
the failure episodes on the main branch and the branches' first audits."""

from __future__ import annotations

from auditor.model import GateResult
from gates.history.details import HistoryDetails
from reports import text
from reports.history_metrics import HistoryView, metrics_view


class HistoryReportView:
    template = "view.html.j2"
    findings_noun = "findings"

    def build(self, gate: GateResult) -> HistoryView | None:
        details = gate.details
        if not isinstance(details, HistoryDetails):
            return None
        return metrics_view(details, details.main_branch_source or "")

    def where_to_look(self, gate: GateResult, condition_id: str) -> list[str]:
        details = gate.details
        if not isinstance(details, HistoryDetails):
            return []
        if condition_id == "first_time_success_rate":
            return [
                f"{first.branch}: first audit {first.status}"
                for first in details.first_audits
                if first.status != "passed"
            ][:5]
        return [
            f"{text.timestamp(episode.failed_at)} failing on {details.main_branch or ''}"
            for episode in details.episodes
        ][-5:]
