"""Every report format, by the name used with --format."""

from __future__ import annotations

from reports.base import Renderer
from reports.json_report import JsonRenderer

RENDERERS: dict[str, Renderer] = {
    "json": JsonRenderer(),
}
