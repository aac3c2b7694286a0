"""Every report format, by the name used with --format."""

from __future__ import annotations

from reports.badge import BadgeRenderer
from reports.base import Renderer
from reports.html import HtmlRenderer
from reports.json_report import JsonRenderer
from reports.junit import JunitRenderer
from reports.markdown import MarkdownRenderer
from reports.sarif import SarifRenderer

RENDERERS: dict[str, Renderer] = {
    "json": JsonRenderer(),
    "html": HtmlRenderer(),
    "junit": JunitRenderer(),
    "sarif": SarifRenderer(),
    "markdown": MarkdownRenderer(),
    "badge": BadgeRenderer(),
}
