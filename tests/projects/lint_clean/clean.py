"""A tidy module."""


def double(value: int) -> int:
    """Twice the value."""
    return value * 2
