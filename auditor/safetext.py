"""Text from the audited project made safe for a terminal or a plain CI log.

The target is untrusted input (in CI often a pull request from anyone): its file names, test
output, exception messages and service logs can hold escape sequences that set a terminal's
title, clear its screen or write its clipboard. Every such text passes `visible` before it is
printed, and is printed without rich markup, so `[bold]x.py` stays as it is.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""C0 controls except tab and newline, DEL and C1 controls: every escape sequence starts here."""


def _escape(match: re.Match[str]) -> str:
    return f"\\x{ord(match.group()):02x}"


def visible(text: str) -> str:
    """TEXT with each control character shown as `\\xNN` instead of emitted."""
    return _CONTROL.sub(_escape, text)


def one_line(text: str) -> str:
    """The first line of TEXT, made visible."""
    return visible(text.splitlines()[0]) if text else ""
