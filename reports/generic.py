"""Any gate's details and findings in a shape a template can show without knowing the gate.

Lists are cut at a limit with a count of what was left out, so a huge scorecard still gives a
page of a few megabytes; the full data stays in scorecard.json.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field

from auditor.model import Finding
from reports import text

SEVERITY_RANK = {"critical": 0, "warning": 1, "info": 2}
MESSAGE_LIMIT = 600
CELL_LIMIT = 300
TEXT_LIMIT = 8000


@dataclass(frozen=True)
class FindingRow:
    line: str
    rule: str
    severity: str
    message: str
    facts: list[tuple[str, str]]
    """Tool-specific facts (e.g. bandit's severity and confidence) as label/value pairs."""


@dataclass(frozen=True)
class FileGroup:
    path: str
    rows: list[FindingRow]
    total: int
    """Findings of this file in the whole gate (rows may show fewer)."""
    critical: int
    rules: list[tuple[str, int]]
    """Rules of this file's findings, most frequent first."""


@dataclass(frozen=True)
class FindingGroups:
    groups: list[FileGroup]
    shown: int
    total: int
    files: int

    @property
    def more(self) -> int:
        return self.total - self.shown


def _text(value: object) -> str:
    """A JSON value as text: strings as they are, numbers written out, lists joined."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return f"{value:g}"
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value)
    return ""


def _facts(finding: Finding) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if finding.state != "new":
        out.append(("state", finding.state))
    if finding.justification:
        out.append(("waived", text.shorten(text.clean(finding.justification), CELL_LIMIT)))
    for key, value in finding.extra.items():
        shown = _text(value)
        if shown:
            out.append((key.replace("_", " "), text.shorten(text.clean(shown), CELL_LIMIT)))
    return out


def group_findings(findings: list[Finding], limit: int) -> FindingGroups:
    """The most severe `limit` findings, those that count first, grouped by file (files with
    critical findings first)."""
    ordered = sorted(
        findings,
        key=lambda f: (
            f.state != "new", SEVERITY_RANK.get(f.severity, 3), f.path, f.line or 0, f.rule
        ),
    )
    shown = ordered[:limit]
    totals = Counter(f.path for f in findings)
    critical = Counter(f.path for f in findings if f.severity == "critical")
    by_path: dict[str, list[Finding]] = {}
    for finding in shown:
        by_path.setdefault(finding.path, []).append(finding)
    groups = [
        FileGroup(
            path=path or "(no file)",
            rows=[
                FindingRow(
                    line=str(f.line) if f.line is not None else "",
                    rule=f.rule,
                    severity=f.severity,
                    message=text.shorten(text.clean(f.message), MESSAGE_LIMIT),
                    facts=_facts(f),
                )
                for f in sorted(items, key=lambda f: (f.line or 0, f.rule))
            ],
            total=totals[path],
            critical=critical[path],
            rules=Counter(f.rule for f in findings if f.path == path).most_common(6),
        )
        for path, items in by_path.items()
    ]
    groups.sort(key=lambda g: (-g.critical, -g.total, g.path))
    return FindingGroups(groups=groups, shown=len(shown), total=len(findings), files=len(totals))


@dataclass(frozen=True)
class Node:
    """One entry of a details tree: a scalar, a block of text, a table, a list or a mapping."""

    kind: str
    label: str
    value: str = ""
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    children: list[Node] = field(default_factory=list)
    more: int = 0


def _cell(value: object) -> str:
    if isinstance(value, str | int | float | bool):
        return text.shorten(text.clean(_text(value)), CELL_LIMIT)
    if value is None:
        return "—"
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return text.shorten(_text(value), CELL_LIMIT)
    return text.shorten(text.clean(json.dumps(value, default=str)), CELL_LIMIT)


def node(label: str, value: object, limit: int, depth: int = 0) -> Node:
    """A details value as a node; deeper than three levels it is shown as JSON text."""
    if isinstance(value, str):
        if "\n" in value or len(value) > CELL_LIMIT:
            return Node("text", label, text.shorten(text.clean(value), TEXT_LIMIT))
        return Node("scalar", label, text.clean(value))
    if value is None or isinstance(value, bool | int | float):
        return Node("scalar", label, _cell(value))
    if depth >= 3:
        return Node("text", label, text.shorten(text.clean(json.dumps(value, default=str)),
                                                TEXT_LIMIT))
    if isinstance(value, dict):
        items = [(str(k), v) for k, v in value.items()]
        return Node(
            "map", label,
            children=[node(k, v, limit, depth + 1) for k, v in items[:limit]],
            more=max(len(items) - limit, 0),
        )
    if isinstance(value, list):
        rows = [row for row in value if isinstance(row, dict)]
        if rows and len(rows) == len(value):
            columns = list(dict.fromkeys(k for row in rows for k in row))
            return Node(
                "table", label, columns=columns,
                rows=[[_cell(row.get(c)) for c in columns] for row in rows[:limit]],
                more=max(len(rows) - limit, 0),
            )
        return Node(
            "list", label,
            children=[node("", v, limit, depth + 1) for v in value[:limit]],
            more=max(len(value) - limit, 0),
        )
    return Node("scalar", label, _cell(value))


def details_nodes(details: dict[str, object], skip: set[str], limit: int) -> list[Node]:
    """Nodes for every details key a gate-specific view did not show."""
    return [node(k, v, limit) for k, v in details.items() if k not in skip]
