"""Where to look for a failed condition: the files, modules, packages or endpoints behind it.

A gate's view gives pointers read from its details; any other gate (or a details shape its view
does not know) falls back to the files with the most findings.
"""

from __future__ import annotations

from auditor.model import GateResult
from reports.viewkit import files_by_findings
from reports.views import view_of


def where_to_look(gate: GateResult, condition_id: str) -> list[str]:
    """Pointers for a failed condition, most important first (may be empty)."""
    view = view_of(gate.id)
    found = view.where_to_look(gate, condition_id) if view is not None else []
    return found or files_by_findings(gate)
