"""Every report format of the fixed scorecards, compared with reviewed gold files."""

from __future__ import annotations

import pytest

from auditor.config import FORMATS as CONFIG_FORMATS
from reports.registry import RENDERERS
from tests.reports.support import CARDS, GOLD, UPDATE_ENV, assert_gold, card

pytestmark = pytest.mark.unit

FORMATS = ("html", "junit", "sarif", "markdown", "badge")


@pytest.mark.parametrize("name", CARDS)
@pytest.mark.parametrize("format_id", FORMATS)
def test_report_matches_gold(name: str, format_id: str) -> None:
    renderer = RENDERERS[format_id]
    suffix = renderer.filename.rsplit(".", 1)[1]
    assert_gold(renderer.render(card(name)), f"{name}.{suffix}")


@pytest.mark.parametrize("format_id", FORMATS)
def test_rendering_is_deterministic(format_id: str) -> None:
    renderer = RENDERERS[format_id]
    assert renderer.render(card("full")) == renderer.render(card("full"))


def test_every_configured_format_has_a_renderer() -> None:
    assert set(CONFIG_FORMATS) == set(RENDERERS)


def test_the_rewrite_switch_fails_instead_of_rewriting(monkeypatch: pytest.MonkeyPatch) -> None:
    renderer = RENDERERS["markdown"]
    gold = GOLD / "full.md"
    before = gold.read_bytes()
    monkeypatch.setenv(UPDATE_ENV, "1")
    with pytest.raises(AssertionError, match="never rewrites gold files"):
        assert_gold(renderer.render(card("full")) + "changed", "full.md")
    assert gold.read_bytes() == before
