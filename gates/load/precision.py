"""How many digits the load gate keeps and shows of a figure in milliseconds.

The details and views keep a fixed number of places; a database statement of 25 µs would read
`0 ms` at them. A figure that rounds to 0 while it is not 0 keeps its first SIGNIFICANT digits
instead (0.025 ms), so nothing measured is shown as nothing, as auditor.scoring compares it.
"""

from __future__ import annotations

import math

SIGNIFICANT = 2
"""Significant digits kept of a figure too small for the places it is shown at."""


def kept(value: float, places: int) -> float:
    """VALUE at PLACES decimal places, or at its first SIGNIFICANT digits when those places
    would make it 0 while it is not: `kept(0.025, 1) == 0.025`, `kept(12.345, 2) == 12.35`."""
    rounded = round(value, places)
    if rounded != 0 or value == 0 or not math.isfinite(value):
        return rounded
    return round(value, SIGNIFICANT - 1 - math.floor(math.log10(abs(value))))
