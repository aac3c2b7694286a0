"""Per-gate sections of the HTML report.

A gate with a view (`Gate.view`, found by gate id) gets its own partial built from the details
keys the view documents; every other key, and every gate without a view (a plugin gate, or a
scorecard whose details have another shape), is shown generically.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from auditor import access
from auditor.model import GateResult
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


def section(gate: GateResult) -> Section:
    gate_view = view_of(gate.id)
    shown: set[str] = {"log_tail", "warnings", "tools", "exclusion"}
    view: object | None = None
    if gate_view is not None:
        present = {
            k for k, t in gate_view.details_keys.items() if isinstance(gate.details.get(k), t)
        }
        if present:
            view = gate_view.build(gate)
            shown |= present
    log_tail, log_cut = text.tail(access.text(gate.details.get("log_tail")), LOG_LINES, LOG_CHARS)
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
        others=generic.details_nodes(gate.details, shown, LIST_LIMIT),
    )
