"""scorecard.md: a short summary for a pull-request comment or a CI job summary."""

from __future__ import annotations

import re

from auditor.model import Scorecard
from reports import summary, text
from reports.deltas import lead
from reports.templating import text_environment

# Characters that would start Markdown markup inside a table cell or list item.
_MARKUP = re.compile(r"([\\`*_{}\[\]|#!~])")
# HTML is written as entities: every Markdown renderer shows those as text.
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def md(value: object) -> str:
    """Text safe in a Markdown table cell: markup escaped, on one line."""
    one_line = text.shorten(" ".join(text.clean(str(value)).split()), 300)
    escaped = "".join(_HTML.get(c, c) for c in one_line)
    return _MARKUP.sub(r"\\\1", escaped)


def code(value: object) -> str:
    """Text for inside a `code span` (outside tables): a backtick cannot close it."""
    one_line = " ".join(text.clean(str(value)).split())
    return text.shorten(one_line, 200).replace("`", "'")


class MarkdownRenderer:
    format_id = "markdown"
    filename = "scorecard.md"

    def render(self, scorecard: Scorecard) -> str:
        env = text_environment()
        env.filters["md"] = md
        env.filters["code"] = code
        rendered = env.get_template("scorecard.md.j2").render(
            head=summary.headline(scorecard),
            gates=summary.gate_rows(scorecard),
            attention=summary.attention(scorecard, where_limit=2),
            lead=lead(scorecard),
            history_warnings=list(scorecard.history.warnings) if scorecard.history else [],
            held=summary.held(scorecard),
        )
        return re.sub(r"\n{3,}", "\n\n", rendered).strip() + "\n"
