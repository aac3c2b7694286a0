"""summary.json: the contract every other summary format derives from."""

from __future__ import annotations

from collections.abc import Mapping

from auditor.model import Scorecard
from auditor.summary import Summary, dumps


class SummaryJsonRenderer:
    format_id = "json"
    filename = "summary.json"

    def render(self, summary: Summary, cards: Mapping[str, Scorecard]) -> str:
        return dumps(summary)
