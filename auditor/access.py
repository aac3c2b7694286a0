"""Safe reading of a gate's free-form `details`: a wrong shape gives nothing, never a crash.

Gates evolve on their own; a report must still render a scorecard whose details lack a key
or hold an unexpected type, so every read narrows `object` to what the report needs.
"""

from __future__ import annotations

from collections.abc import Mapping


def mapping(value: object) -> dict[str, object]:
    """A dict with string keys, or an empty one."""
    if isinstance(value, Mapping):
        return {str(k): v for k, v in value.items()}
    return {}


def records(value: object) -> list[dict[str, object]]:
    """The dict items of a list (other items dropped), or an empty list."""
    if not isinstance(value, list):
        return []
    return [mapping(item) for item in value if isinstance(item, Mapping)]


def num(value: object) -> float | None:
    """A number (not a bool), or None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def text(value: object, default: str = "") -> str:
    """A string; numbers are written out, anything else is the default."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return f"{value:g}"
    return default


def strings(value: object) -> list[str]:
    """The string items of a list, or an empty list."""
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, str)]


def counts(value: object) -> dict[str, float]:
    """A mapping of names to numbers (other entries dropped)."""
    out: dict[str, float] = {}
    for key, item in mapping(value).items():
        figure = num(item)
        if figure is not None:
            out[key] = figure
    return out


def whole(value: object) -> int | None:
    """A whole number (not a bool), or None."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def optional_text(value: object) -> str | None:
    """A string, or None."""
    return value if isinstance(value, str) else None


def without_none(record: dict[str, object]) -> dict[str, object]:
    """RECORD without its None values: typed details write back only the keys they read."""
    return {key: value for key, value in record.items() if value is not None}
