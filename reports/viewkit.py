"""Building blocks for gates' report views: bars, counts, thresholds, list limits, and the
generic "where to look" pointer every gate falls back to."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from auditor.model import GateResult
from reports import text

LIST_LIMIT = 200
"""Rows shown per list (findings per gate, files, modules, endpoints); the rest is counted."""
LOG_LINES = 80
LOG_CHARS = 12000
FEW = 3
"""Up to this many findings are listed one by one in "where to look"; more are summed per file."""


@dataclass(frozen=True)
class Bar:
    """A 0-100 figure drawn as a bar."""

    percent: float | None
    label: str
    css: str
    """`good`, `warn` or `bad` against the threshold the gate applied."""


def bar(percent: float | None, threshold: float | None) -> Bar:
    if percent is None:
        return Bar(None, "—", "none")
    limit = 100.0 if threshold is None else threshold
    css = "good" if percent >= limit else ("warn" if percent >= limit * 0.75 else "bad")
    return Bar(max(0.0, min(percent, 100.0)), text.with_unit(percent, "%"), css)


def threshold(gate: GateResult, condition_id: str) -> float | None:
    """The threshold the gate applied to a condition (the baseline's ratchet when it lowers
    it), when the condition is in the scorecard."""
    return next((text.applied(c) for c in gate.conditions if c.id == condition_id), None)


def count(value: float | None) -> str:
    """A count as text, or a dash when it is not known."""
    return text.number(value) if value is not None else "—"


def more(total: int) -> int:
    """How many rows are left out of a list cut at LIST_LIMIT."""
    return max(total - LIST_LIMIT, 0)


def files_by_findings(gate: GateResult, severity: str | None = None) -> list[str]:
    """The findings that count (state `new`) themselves when there are few, else the files with
    the most of them."""
    chosen = [
        f for f in gate.findings
        if f.state == "new" and (severity is None or f.severity == severity)
    ]
    if len(chosen) <= FEW:
        return [
            f"{f.path or '(no file)'}{f':{f.line}' if f.line else ''} [{f.rule}] "
            + text.shorten(text.clean(f.message), 110)
            for f in sorted(chosen, key=lambda f: (f.path, f.line or 0))
        ]
    tally = Counter(f.path or "(no file)" for f in chosen)
    return [f"{path} ({text.plural(n, 'finding')})" for path, n in tally.most_common(5)]


def tool_warnings(gate: GateResult) -> list[str]:
    """The gate's `warnings` details: what its tools warned about while they still measured."""
    return [text.clean(w) for w in gate.details.warnings]


def tools_used(gate: GateResult) -> list[str]:
    """Each tool the gate ran with its version and where it came from (`details.tools`):
    `ruff 0.15.6 (the target's environment)`."""
    return [text.clean(tool.describe()) for tool in gate.details.tools]


def tool_text(gate: GateResult) -> str:
    """The gate's tools for a report's header: where each came from when the scorecard says,
    else the gate's tool name and version."""
    used = tools_used(gate)
    if used:
        return "; ".join(used)
    return " ".join(p for p in (gate.tool.name, gate.tool.version) if p)


def exclusion_note(gate: GateResult) -> str | None:
    """`412 files excluded by [tool.audit] exclude (vendor)`, when the gate excluded any glob."""
    record = gate.details.exclusion
    return text.clean(record.describe()) if record is not None else None
