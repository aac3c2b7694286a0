"""The renderer protocol."""

from __future__ import annotations

from typing import Protocol

from auditor.model import Scorecard


class Renderer(Protocol):
    """Turns a scorecard into the text of one report file."""

    format_id: str
    """The name used with --format."""
    filename: str
    """The file written into the output directory."""

    def render(self, scorecard: Scorecard) -> str:
        """The report's full text."""
        ...
