"""scorecard.json: the contract every other report derives from."""

from __future__ import annotations

from auditor.model import Scorecard
from auditor.scorecard import dumps


class JsonRenderer:
    format_id = "json"
    filename = "scorecard.json"

    def render(self, scorecard: Scorecard) -> str:
        return dumps(scorecard)
