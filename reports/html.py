"""scorecard.html: one self-contained page (inline CSS, no script, nothing fetched)."""

from __future__ import annotations

from auditor.model import Scorecard
from reports import gate_views, summary
from reports.history_card import history_card
from reports.templating import html_environment


class HtmlRenderer:
    format_id = "html"
    filename = "scorecard.html"

    def render(self, scorecard: Scorecard) -> str:
        template = html_environment().get_template("scorecard.html.j2")
        return template.render(
            head=summary.headline(scorecard),
            attention=summary.attention(scorecard),
            gates=summary.gate_rows(scorecard),
            sections=[gate_views.section(g) for g in scorecard.gates],
            history=history_card(scorecard),
            held=summary.held(scorecard),
        )
