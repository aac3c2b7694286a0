"""Per-gate sections of the HTML report.

A gate with a view (`Gate.view`, found by gate id) gets its own partial built from the details
keys the view documents; every other key, and every gate without a view (a plugin gate, or a
scorecard whose details have another shape), is shown generically.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import msgspec

from auditor.model import Details, GateResult
from auditor.plugin import GateView
from reports import generic, text
from reports.viewkit import (
    LIST_LIMIT,
    LOG_CHARS,
    LOG_LINES,
    exclusion_note,
    tool_text,
    tool_warnings,
)
from reports.views import view_of

# ---- sections ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Section:
    id: str
    title: str
    status: str
    score: str
    tool: str
    duration: str
    reason: str | None
    log_tail: str
    log_cut: int
    template: str | None
    """The gate's own partial, when its view applies to these details."""
    view: object | None
    findings_noun: str
    warnings: list[str]
    excluded: str | None
    """What `[tool.audit] exclude` left out of the gate."""
    findings: generic.FindingGroups
    others: list[generic.Node] = field(default_factory=list)


COMMON_SHOWN = ("log_tail", "warnings", "tools", "exclusion")
"""Fields of every gate's details that every section shows in its own way."""


def _others(gate: GateResult, view: object | None) -> list[generic.Node]:
    """The details its own view does not show: every field without a view, a crash's traceback
    with one."""
    data = msgspec.to_builtins(gate.details)
    if view is not None:
        data = {k: v for k, v in data.items() if k == "traceback"}
    return generic.details_nodes(data, set(COMMON_SHOWN), LIST_LIMIT)


def _own_view(gate: GateResult) -> tuple[GateView | None, object | None]:
    """The gate's view and what it built, when its details hold more than every gate's common
    fields (a gate that could not measure has only those: it is shown generically)."""
    gate_view = view_of(gate.id)
    own = set(msgspec.to_builtins(gate.details)) - set(Details.__struct_fields__)
    if gate_view is None or not own:
        return gate_view, None
    return gate_view, gate_view.build(gate)


def section(gate: GateResult) -> Section:
    gate_view, view = _own_view(gate)
    log_tail, log_cut = text.tail(gate.details.log_tail or "", LOG_LINES, LOG_CHARS)
    return Section(
        id=gate.id,
        title=gate.title or gate.id,
        status=gate.status,
        score=text.number(gate.score),
        tool=tool_text(gate),
        duration=text.gate_duration(gate),
        reason=gate.reason,
        log_tail=log_tail,
        log_cut=log_cut,
        template=(
            f"{gate.id}/{gate_view.template}"
            if gate_view is not None and view is not None else None
        ),
        view=view,
        findings_noun=gate_view.findings_noun if gate_view is not None else "findings",
        warnings=tool_warnings(gate),
        excluded=exclusion_note(gate),
        findings=generic.group_findings(gate.findings, LIST_LIMIT),
        others=_others(gate, view),
    )
