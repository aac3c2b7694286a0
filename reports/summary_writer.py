"""The summary formats, by the name used with --format, and writing them, each atomically."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Protocol

from auditor.model import Scorecard
from auditor.scorecard import write_atomic
from auditor.summary import Summary
from reports.summary_html import SummaryHtmlRenderer
from reports.summary_json import SummaryJsonRenderer
from reports.summary_junit import SummaryJunitRenderer
from reports.summary_markdown import SummaryMarkdownRenderer
from reports.summary_sarif import SummarySarifRenderer
from reports.writer import append_step_summary, prepare_out_dir


class SummaryRenderer(Protocol):
    format_id: str
    filename: str

    def render(self, summary: Summary, cards: Mapping[str, Scorecard]) -> str:
        """The report's full text, from the summary and the components' scorecards by path."""
        ...


SUMMARY_RENDERERS: dict[str, SummaryRenderer] = {
    "json": SummaryJsonRenderer(),
    "html": SummaryHtmlRenderer(),
    "junit": SummaryJunitRenderer(),
    "sarif": SummarySarifRenderer(),
    "markdown": SummaryMarkdownRenderer(),
}
"""A badge has no summary form: each component's own folder holds its badge."""


def write_summary(
    summary: Summary, cards: Mapping[str, Scorecard], formats: Iterable[str], out_dir: Path
) -> list[Path]:
    """Write summary.json and every requested format that has a summary form."""
    prepare_out_dir(out_dir)
    written: list[Path] = []
    for format_id in ["json", *(f for f in formats if f != "json")]:
        renderer = SUMMARY_RENDERERS.get(format_id)
        if renderer is None:
            continue
        path = out_dir / renderer.filename
        content = renderer.render(summary, cards)
        write_atomic(path, content)
        written.append(path)
        if format_id == "markdown":
            append_step_summary(content)
    return written
