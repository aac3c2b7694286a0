"""Writes the selected reports into the output directory, each atomically."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path

from auditor.model import Scorecard
from auditor.scorecard import write_atomic
from reports.registry import RENDERERS

OWN_GITIGNORE = "# Written by the auditor: its reports are never part of the project.\n*\n"
"""The report folder's own .gitignore, as pytest's, ruff's and mypy's caches carry theirs."""

STEP_SUMMARY = "GITHUB_STEP_SUMMARY"
"""A file GitHub Actions shows on the job's page; the Markdown report is appended to it."""


def append_step_summary(markdown: str) -> Path | None:
    """Append to $GITHUB_STEP_SUMMARY when it is set; a failure to write is a note, not a crash."""
    name = os.environ.get(STEP_SUMMARY)
    if not name:
        return None
    path = Path(name)
    try:
        with path.open("a", encoding="utf-8") as handle:
            handle.write(markdown if markdown.endswith("\n") else markdown + "\n")
    except OSError as exc:
        sys.stderr.write(f"audit: could not append the summary to ${STEP_SUMMARY} ({exc})\n")
        return None
    return path


def _only_reports(out_dir: Path) -> bool:
    """Whether OUT_DIR holds nothing but reports (a report folder an earlier version wrote)."""
    names = {renderer.filename for renderer in RENDERERS.values()}
    try:
        return all(entry.is_file() and entry.name in names for entry in out_dir.iterdir())
    except OSError:
        return False


def prepare_out_dir(out_dir: Path) -> None:
    """Create the report folder with its own `.gitignore` (`*`), so that git (and every tool
    that reads .gitignore) leaves the reports out. A folder that exists keeps its contents as
    they are unless it holds nothing but reports; an existing .gitignore is never touched."""
    ignore = out_dir / ".gitignore"
    try:
        created = not out_dir.exists()
        out_dir.mkdir(parents=True, exist_ok=True)
        if not ignore.exists() and (created or _only_reports(out_dir)):
            write_atomic(ignore, OWN_GITIGNORE)
    except OSError as exc:
        sys.stderr.write(f"audit: could not write {ignore} ({exc})\n")


def write_reports(scorecard: Scorecard, formats: Iterable[str], out_dir: Path) -> list[Path]:
    """Write scorecard.json and every requested format; returns the files written."""
    prepare_out_dir(out_dir)
    written: list[Path] = []
    wanted = ["json", *(f for f in formats if f != "json")]
    for format_id in wanted:
        renderer = RENDERERS.get(format_id)
        if renderer is None:
            continue
        path = out_dir / renderer.filename
        content = renderer.render(scorecard)
        write_atomic(path, content)
        written.append(path)
        if format_id == "markdown":
            append_step_summary(content)
    return written
