"""badge.svg: well-formed SVG with the verdict and score, text escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from msgspec.structs import replace

from reports.badge import COLORS, BadgeRenderer
from tests.reports.support import card

pytestmark = pytest.mark.unit

SVG = "{http://www.w3.org/2000/svg}"


@pytest.mark.parametrize("name", ["full", "partial"])
def test_badge_shows_status_and_score(name: str) -> None:
    scorecard = card(name)
    root = ET.fromstring(BadgeRenderer().render(scorecard))  # noqa: S314 - our own output
    texts = [t.text for t in root.iter(f"{SVG}text")]
    expected = f"{scorecard.status} · {scorecard.score:g} ({scorecard.grade})"
    assert expected in texts
    fills = [r.get("fill") for r in root.iter(f"{SVG}rect")]
    assert COLORS[scorecard.status] in fills
    assert root.get("aria-label") == f"audit: {expected}"
    width = float(root.get("width") or 0)
    assert 80 < width < 220


def test_badge_text_is_escaped() -> None:
    # A hand-edited scorecard can hold any grade text; the badge must stay well-formed SVG.
    scorecard = replace(card("full"), grade='<b>&"')
    root = ET.fromstring(BadgeRenderer().render(scorecard))  # noqa: S314 - our own output
    assert any(t.text and t.text.endswith('(<b>&")') for t in root.iter(f"{SVG}text"))
