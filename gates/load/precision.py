"""How many digits the load gate keeps and shows of a figure in milliseconds.

Conditions are compared at auditor.scoring's precision (`PRECISION["ms"]`, 0.1 ms), and the
details and views keep a fixed number of places; a database statement of 25 µs would read
`0 ms` at either. A figure that rounds to 0 while it is not 0 keeps its first SIGNIFICANT
digits instead (0.025 ms), so nothing measured is shown as nothing.
"""

from __future__ import annotations

import math

from auditor.scoring import PRECISION, round_value

SIGNIFICANT = 2
"""Significant digits kept of a figure too small for the places it is shown at."""


def kept(value: float, places: int) -> float:
    """VALUE at PLACES decimal places, or at its first SIGNIFICANT digits when those places
    would make it 0 while it is not: `kept(0.025, 1) == 0.025`, `kept(12.345, 2) == 12.35`."""
    rounded = round(value, places)
    if rounded != 0 or value == 0 or not math.isfinite(value):
        return rounded
    return round(value, SIGNIFICANT - 1 - math.floor(math.log10(abs(value))))


def hidden_by_comparison(condition_id: str, value: float) -> str | None:
    """A note for a condition in ms whose VALUE is 0 at the precision it is compared at while
    it is not 0 (the condition's row then reads `0 ms`), naming the figure measured; None
    otherwise."""
    if value == 0 or round_value(value, "ms") != 0:
        return None
    places = PRECISION["ms"]
    return (
        f"`{condition_id}` measured {kept(value, places):g} ms: compared at {places} decimal "
        f"place{'s' if places != 1 else ''}, where it is 0 ms"
    )
