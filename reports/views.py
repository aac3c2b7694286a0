"""Gates' report views, found by gate id."""

from __future__ import annotations

from auditor.plugin import GateView
from gates.registry import GATES


def view_of(gate_id: str) -> GateView | None:
    """The report view of a gate by its id, or None: the generic view (a plugin gate, say)."""
    gate = GATES.get(gate_id)
    return gate.view if gate is not None else None
