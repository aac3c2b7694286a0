"""The section `audit init` writes with every commented default set again: what a user gets by
uncommenting each key."""

from __future__ import annotations

import re

_DEFAULT = re.compile(r"^# (?=[a-z_][a-z0-9_]* = (?!\.\.\.))", re.MULTILINE)
"""A commented `key = value` line (not `key = ...`, which has no default to show)."""


def uncommented(text: str) -> str:
    return _DEFAULT.sub("", text)
