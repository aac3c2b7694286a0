"""badge.svg: the verdict and score as a flat badge, like those of shields.io."""

from __future__ import annotations

from xml.sax.saxutils import escape

from auditor.model import Scorecard
from reports import text

COLORS = {"passed": "#4c1", "failed": "#e05d44", "error": "#9f4ec7", "skipped": "#9f9f9f"}
LABEL = "audit"

# Advance widths of Verdana 11px (the badge font), in pixels; other characters count as 7.5.
_NARROW = dict.fromkeys("fijlrtI.,:;!|' ()[]/", 4.5)
_WIDE = dict.fromkeys("mwMW%@", 10.5)


def text_width(value: str) -> float:
    return sum(_NARROW.get(c, _WIDE.get(c, 7.0)) for c in value)


def message(card: Scorecard) -> str:
    return f"{card.status} · {text.number(card.score)} ({card.grade})"


class BadgeRenderer:
    format_id = "badge"
    filename = "badge.svg"

    def render(self, scorecard: Scorecard) -> str:
        value = message(scorecard)
        color = COLORS.get(scorecard.status, "#9f9f9f")
        left = round(text_width(LABEL) + 12)
        right = round(text_width(value) + 12)
        total = left + right
        label_x, value_x = left / 2, left + right / 2
        title = escape(f"{LABEL}: {value}", {'"': "&quot;"})
        label, shown = escape(LABEL), escape(value)
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="20" role="img" '
            f'aria-label="{title}">'
            f"<title>{title}</title>"
            '<linearGradient id="s" x2="0" y2="100%">'
            '<stop offset="0" stop-color="#bbb" stop-opacity=".1"/>'
            '<stop offset="1" stop-opacity=".1"/></linearGradient>'
            f'<clipPath id="r"><rect width="{total}" height="20" rx="3" fill="#fff"/></clipPath>'
            '<g clip-path="url(#r)">'
            f'<rect width="{left}" height="20" fill="#555"/>'
            f'<rect x="{left}" width="{right}" height="20" fill="{color}"/>'
            f'<rect width="{total}" height="20" fill="url(#s)"/></g>'
            '<g fill="#fff" text-anchor="middle" '
            'font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">'
            f'<text x="{label_x:g}" y="15" fill="#010101" fill-opacity=".3">{label}</text>'
            f'<text x="{label_x:g}" y="14">{label}</text>'
            f'<text x="{value_x:g}" y="15" fill="#010101" fill-opacity=".3">{shown}</text>'
            f'<text x="{value_x:g}" y="14">{shown}</text></g></svg>\n'
        )
