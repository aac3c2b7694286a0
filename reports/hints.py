"""Where to look for a failed condition: the files, modules, packages or endpoints behind it.

Known gates get a pointer read from their details; any other gate (or a details shape this
module does not know) falls back to the files with the most findings.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from auditor.model import GateResult
from reports import access, text

Hint = Callable[[GateResult, str], list[str]]
FEW = 3
"""Up to this many findings are listed one by one; more are summed up per file."""


def _files_by_findings(gate: GateResult, severity: str | None = None) -> list[str]:
    """The findings themselves when there are few, else the files with the most of them."""
    chosen = [f for f in gate.findings if severity is None or f.severity == severity]
    if len(chosen) <= FEW:
        return [
            f"{f.path or '(no file)'}{f':{f.line}' if f.line else ''} [{f.rule}] "
            + text.shorten(text.clean(f.message), 110)
            for f in sorted(chosen, key=lambda f: (f.path, f.line or 0))
        ]
    tally = Counter(f.path or "(no file)" for f in chosen)
    return [f"{path} ({text.plural(n, 'finding')})" for path, n in tally.most_common(5)]


def _coverage(gate: GateResult, condition_id: str) -> list[str]:
    files = access.records(gate.details.get("files"))
    if condition_id == "critical_coverage":
        files = [f for f in files if f.get("critical") is True]
    elif condition_id == "tests_failed":
        return _files_by_findings(gate) or ["the failing tests in the test run's output"]
    ranked = sorted(
        (f for f in files if access.num(f.get("percent")) is not None),
        key=lambda f: access.num(f.get("percent")) or 0.0,
    )
    return [
        f"{access.text(f.get('path'))} at {text.with_unit(access.num(f.get('percent')), '%')}"
        for f in ranked[:5]
        if (access.num(f.get("percent")) or 0.0) < 100
    ]


def _lint(gate: GateResult, condition_id: str) -> list[str]:
    if condition_id == "critical_errors":
        return _files_by_findings(gate, "critical")
    by_file = {
        path: access.num(access.mapping(v).get("warnings")) or 0.0
        for path, v in access.mapping(gate.details.get("by_file")).items()
    }
    if not by_file:
        return _files_by_findings(gate, "warning")
    ranked = sorted(by_file.items(), key=lambda kv: (-kv[1], kv[0]))
    return [f"{path} ({text.plural(int(n), 'warning')})" for path, n in ranked[:5] if n]


def _type(gate: GateResult, condition_id: str) -> list[str]:
    if condition_id != "type_coverage":
        return _files_by_findings(gate)
    modules = sorted(
        (m for m in access.records(gate.details.get("modules"))
         if access.num(m.get("coverage")) is not None),
        key=lambda m: access.num(m.get("coverage")) or 0.0,
    )
    return [
        f"{access.text(m.get('module'))} at {text.with_unit(access.num(m.get('coverage')), '%')}"
        for m in modules[:5]
        if (access.num(m.get("coverage")) or 0.0) < 100
    ]


def _security(gate: GateResult, condition_id: str) -> list[str]:
    if condition_id != "vulnerabilities":
        return _files_by_findings(gate, "critical") or _files_by_findings(gate)
    deps = access.mapping(gate.details.get("dependencies"))
    out: list[str] = []
    for vuln in access.records(deps.get("vulnerable")):
        fixes = access.strings(vuln.get("fix_versions"))
        fix = f", fixed in {', '.join(fixes)}" if fixes else ", no fix released"
        out.append(
            f"{access.text(vuln.get('name'))} {access.text(vuln.get('version'))}: "
            f"{access.text(vuln.get('id'))}{fix}"
        )
    return out


def _load(gate: GateResult, condition_id: str) -> list[str]:
    stage_name = "peak" if condition_id.startswith("peak_") else "normal"
    stage = access.mapping(access.mapping(gate.details.get("stages")).get(stage_name))
    if condition_id.endswith("error_rate"):
        failures = sorted(
            access.records(stage.get("failures_seen")),
            key=lambda f: -(access.num(f.get("count")) or 0.0),
        )
        return [
            f"{access.text(f.get('method'))} {access.text(f.get('name'))}: "
            f"{access.text(f.get('error'))} ({access.text(f.get('count'))} times)"
            for f in failures[:5]
        ]
    key = "p99_ms" if condition_id.endswith("p99_ms") else "p95_ms"
    endpoints = sorted(
        access.records(stage.get("endpoints")),
        key=lambda e: -(access.num(e.get(key)) or 0.0),
    )
    return [
        f"{access.text(e.get('method'))} {access.text(e.get('name'))}: "
        f"{key[:3]} {text.with_unit(access.num(e.get(key)), 'ms')} ({stage_name} load)"
        for e in endpoints[:5]
    ]


HINTS: dict[str, Hint] = {
    "coverage": _coverage,
    "lint": _lint,
    "type": _type,
    "security": _security,
    "load": _load,
}


def where_to_look(gate: GateResult, condition_id: str) -> list[str]:
    """Pointers for a failed condition, most important first (may be empty)."""
    hint = HINTS.get(gate.id)
    found = hint(gate, condition_id) if hint else []
    return found or _files_by_findings(gate)
