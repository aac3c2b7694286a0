"""summary.md: the verdict and a row per component and gate, for a CI job summary."""

from __future__ import annotations

from collections.abc import Mapping

from auditor.model import Scorecard
from auditor.summary import Summary
from reports.markdown import md

ICONS = {
    "passed": "✅",
    "failed": "❌",
    "error": "⚠️",
    "missing": "⚠️",
    "skipped": "⏭️",
    "not_selected": "-",
}


class SummaryMarkdownRenderer:
    format_id = "markdown"
    filename = "summary.md"

    def render(self, summary: Summary, cards: Mapping[str, Scorecard]) -> str:
        lines = [
            f"## {ICONS.get(summary.status, '')} Audit {summary.status.upper()}: "
            f"{md(summary.repository.name)}, {len(summary.components)} components",
            "",
        ]
        if summary.reason:
            lines += [md(summary.reason), ""]
        lines += [
            "| component | gate | status | score | failing / reason |",
            "|---|---|---|---|---|",
        ]
        for row in summary.components:
            name = md(row.name)
            if row.reused is not None:
                name += f" (reused: {md(row.reused.why)})"
            if not row.gates:
                status = row.status.replace("_", " ")
                lines.append(
                    f"| {name} | - | {ICONS[row.status]} {status} | - | {md(row.reason or '')} |"
                )
            for index, gate in enumerate(row.gates):
                detail = ", ".join(gate.failing) or (gate.reason or "")
                lines.append(
                    f"| {name if index == 0 else ''} | {md(gate.id)} | "
                    f"{ICONS.get(gate.status, '')} {gate.status} | {gate.score:g} | "
                    f"{md(detail)} |"
                )
        return "\n".join(lines) + "\n"
