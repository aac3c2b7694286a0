"""Gates' report views, found by gate id among the installed gates."""

from __future__ import annotations

import sys
from pathlib import Path

from auditor.plugin import GateView
from auditor.registry import gates


def view_of(gate_id: str) -> GateView | None:
    """The report view of a gate by its id, or None: the generic view (a gate that has none, or
    one not installed here)."""
    gate = gates().get(gate_id)
    return gate.view if gate is not None else None


def view_folders() -> dict[str, Path]:
    """The folder of each installed gate's view module, by gate id: its partials are named
    `<gate id>/<path under that folder>`."""
    folders: dict[str, Path] = {}
    for gate_id, gate in gates().items():
        if gate.view is None:
            continue
        module = sys.modules.get(type(gate.view).__module__)
        source = getattr(module, "__file__", None)
        if source is not None:
            folders[gate_id] = Path(source).parent
    return folders
