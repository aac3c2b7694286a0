"""The jinja2 environments of the HTML and Markdown reports."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, StrictUndefined

import gates

GATES_DIR = Path(gates.__file__).parent
"""Gates' own HTML partials are named by their path under it (`coverage/view.html.j2`)."""


@cache
def html_environment() -> Environment:
    """Every value is HTML-escaped unless a template says otherwise (none does)."""
    return Environment(
        loader=ChoiceLoader([PackageLoader("reports", "templates"), FileSystemLoader(GATES_DIR)]),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


@cache
def text_environment() -> Environment:
    """For Markdown: values are escaped by the template's own filters, not as HTML."""
    return Environment(
        loader=PackageLoader("reports", "templates"),
        # Markdown output: cells are escaped by the `md` filter, not as HTML.
        autoescape=False,  # noqa: S701  # nosec B701
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
