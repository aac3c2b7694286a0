"""summary.sarif: every component's findings in one SARIF log, with paths relative to the
repository root (code scanning reads them from the repository's checkout)."""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from auditor.model import Scorecard
from auditor.summary import Summary
from reports import sarif


def _at_root(card: Scorecard, path: str) -> Scorecard:
    """CARD's findings with PATH (the component's, relative to the repository root) before
    theirs."""
    gates = [
        msgspec.structs.replace(
            g,
            findings=[
                msgspec.structs.replace(f, path=f"{path}/{f.path}" if f.path else f.path)
                for f in g.findings
            ],
        )
        for g in card.gates
    ]
    return msgspec.structs.replace(card, gates=gates)


def merged(summary: Summary, cards: Mapping[str, Scorecard]) -> Scorecard | None:
    """One scorecard holding every component's gates, their findings placed at the root."""
    placed = [
        _at_root(cards[row.path], row.path) for row in summary.components if row.path in cards
    ]
    if not placed:
        return None
    judged = next((c.counting for c in placed if c.counting is not None), None)
    return msgspec.structs.replace(
        placed[0],
        gates=[g for card in placed for g in card.gates],
        counting=judged,
        left_in_target=[left for c in placed for left in (c.left_in_target or [])],
    )


class SummarySarifRenderer:
    format_id = "sarif"
    filename = "summary.sarif"

    def render(self, summary: Summary, cards: Mapping[str, Scorecard]) -> str:
        card = merged(summary, cards)
        if card is None:
            log = {"$schema": sarif.SCHEMA_URI, "version": "2.1.0", "runs": []}
            return sarif.dump(log, indent=True)
        return sarif.SarifRenderer().render(card)
