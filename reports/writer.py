"""Writes the selected reports into the output directory, each atomically."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from auditor.model import Scorecard
from auditor.scorecard import write_atomic
from reports.registry import RENDERERS


def write_reports(scorecard: Scorecard, formats: Iterable[str], out_dir: Path) -> list[Path]:
    """Write scorecard.json and every requested format; returns the files written."""
    written: list[Path] = []
    wanted = ["json", *(f for f in formats if f != "json")]
    for format_id in wanted:
        renderer = RENDERERS.get(format_id)
        if renderer is None:
            continue
        path = out_dir / renderer.filename
        write_atomic(path, renderer.render(scorecard))
        written.append(path)
    return written
