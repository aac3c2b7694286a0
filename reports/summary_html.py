"""summary.html: one row per component and gate, each component linking its own scorecard."""

from __future__ import annotations

from collections.abc import Mapping

from auditor.model import Scorecard
from auditor.summary import Summary
from reports import text
from reports.templating import html_environment


class SummaryHtmlRenderer:
    format_id = "html"
    filename = "summary.html"

    def render(self, summary: Summary, cards: Mapping[str, Scorecard]) -> str:
        return (
            html_environment()
            .get_template("summary.html.j2")
            .render(
                summary=summary,
                started=text.timestamp(summary.started_at),
                duration=text.duration(summary.duration_s),
                counts={
                    status: sum(r.status == status for r in summary.components)
                    for status in (
                        "passed",
                        "failed",
                        "error",
                        "missing",
                        "skipped",
                        "not_selected",
                    )
                },
            )
        )
