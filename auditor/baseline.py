"""`audit-baseline.json`: the findings and figures a codebase is held to, committed with it.

One finding per line, sorted, so that it diffs and merges cleanly; each entry has the
fingerprint, gate, rule, path and a short message. `figures` holds the measured values of the
`>=` conditions by `gate.condition`: a figure may not fall below them (a ratchet).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor.errors import ConfigError
from auditor.model import Finding, GateResult

DEFAULT_FILE = "audit-baseline.json"
FORMAT_VERSION = 1
MESSAGE_CHARS = 120
MEASURED = ("passed", "failed")


@dataclass(frozen=True, order=True)
class Entry:
    gate: str
    path: str
    rule: str
    fingerprint: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {
            "fingerprint": self.fingerprint,
            "gate": self.gate,
            "rule": self.rule,
            "path": self.path,
            "message": self.message,
        }

    @classmethod
    def of(cls, gate_id: str, finding: Finding) -> Entry:
        message = " ".join(finding.message.split())
        if len(message) > MESSAGE_CHARS:
            message = message[: MESSAGE_CHARS - 1] + "…"
        return cls(gate_id, finding.path, finding.rule, finding.fingerprint, message)


@dataclass(frozen=True)
class Baseline:
    entries: tuple[Entry, ...]
    figures: dict[str, float]
    """Measured values of `>=` conditions by `gate.condition`."""

    def for_gate(self, gate_id: str) -> list[Entry]:
        return [e for e in self.entries if e.gate == gate_id]

    def figures_for(self, gate_id: str) -> dict[str, float]:
        prefix = f"{gate_id}."
        return {k[len(prefix):]: v for k, v in self.figures.items() if k.startswith(prefix)}


def render(baseline: Baseline) -> str:
    """The file's text: stable key order, one entry or figure per line, sorted."""
    def line(item: object) -> str:
        return json.dumps(item, ensure_ascii=False, separators=(", ", ": "))

    figures = [f"    {line(k)}: {line(v)}" for k, v in sorted(baseline.figures.items())]
    entries = [f"    {line(e.to_dict())}" for e in sorted(baseline.entries)]
    parts = [
        "{",
        f'  "version": {FORMAT_VERSION},',
        '  "figures": {' + ("\n" + ",\n".join(figures) + "\n  }," if figures else "},"),
        '  "findings": [' + ("\n" + ",\n".join(entries) + "\n  ]" if entries else "]"),
        "}",
    ]
    return "\n".join(parts) + "\n"


def _entry(item: object, where: str) -> Entry:
    keys = ("fingerprint", "gate", "rule", "path", "message")
    if not isinstance(item, dict) or not all(isinstance(item.get(k), str) for k in keys):
        raise ConfigError(
            f"{where} has an entry without the strings {', '.join(keys)}; "
            "write it again with `audit baseline`"
        )
    return Entry(item["gate"], item["path"], item["rule"], item["fingerprint"], item["message"])


def parse(text: str, where: str) -> Baseline:
    try:
        data: Any = json.loads(text)
    except ValueError as exc:
        raise ConfigError(
            f"{where} is not valid JSON ({exc}); resolve the merge conflict or write it again "
            "with `audit baseline`"
        ) from None
    if not isinstance(data, dict) or data.get("version") != FORMAT_VERSION:
        raise ConfigError(
            f"{where} is not an audit baseline of version {FORMAT_VERSION}; "
            "write it again with `audit baseline`"
        )
    figures = data.get("figures", {})
    findings = data.get("findings", [])
    if not isinstance(figures, dict) or not all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in figures.values()
    ):
        raise ConfigError(f"`figures` in {where} must map `gate.condition` to numbers")
    if not isinstance(findings, list):
        raise ConfigError(f"`findings` in {where} must be a list")
    return Baseline(
        entries=tuple(_entry(item, where) for item in findings),
        figures={str(k): float(v) for k, v in figures.items()},
    )


def read(path: Path) -> Baseline | None:
    """The baseline at PATH, or None when there is none."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"the baseline {path} cannot be read: {exc}") from None
    return parse(text, str(path))


def ratchet_figures(gates: Iterable[GateResult], ratcheting: set[str]) -> dict[str, float]:
    """Measured values of the ratcheting `>=` conditions (`gate.condition` in RATCHETING)."""
    return {
        f"{g.id}.{c.id}": c.value
        for g in gates
        for c in g.conditions
        if c.value is not None and f"{g.id}.{c.id}" in ratcheting
    }


def capture(
    gates: Iterable[GateResult], ratcheting: set[str], previous: Baseline | None = None
) -> Baseline:
    """A fresh baseline: every finding that is not waived and may be baselined (never a failing
    test or a vulnerable dependency), and the ratcheting figures, of the gates that measured;
    the PREVIOUS baseline's entries and figures of other gates are kept."""
    measured = [g for g in gates if g.status in MEASURED]
    ran = {g.id for g in measured}
    kept = [e for e in previous.entries if e.gate not in ran] if previous else []
    figures = {
        k: v for k, v in (previous.figures if previous else {}).items()
        if k.split(".", 1)[0] not in ran
    }
    return Baseline(
        entries=tuple(kept) + tuple(
            Entry.of(g.id, f) for g in measured for f in g.findings
            if f.state != "waived" and f.baselinable
        ),
        figures={**figures, **ratchet_figures(measured, ratcheting)},
    )


def unmatched(baseline: Baseline, gate: GateResult) -> list[Entry]:
    """Entries of GATE that no finding of its result matched (multiset): fixed findings."""
    consumed = Counter(f.fingerprint for f in gate.findings if f.state == "baselined")
    left: list[Entry] = []
    for entry in baseline.for_gate(gate.id):
        if consumed[entry.fingerprint] > 0:
            consumed[entry.fingerprint] -= 1
        else:
            left.append(entry)
    return left


def prune(baseline: Baseline, gates: Iterable[GateResult], ratcheting: set[str]) -> Baseline:
    """Drop the entries the measured gates no longer match and raise figures that improved;
    never add an entry or a figure."""
    measured = [g for g in gates if g.status in MEASURED]
    fixed = Counter(e for g in measured for e in unmatched(baseline, g))
    kept: list[Entry] = []
    for entry in baseline.entries:
        if fixed[entry] > 0:
            fixed[entry] -= 1
        else:
            kept.append(entry)
    now = ratchet_figures(measured, ratcheting)
    figures = {
        key: max(value, now[key]) if key in now else value
        for key, value in baseline.figures.items()
    }
    return Baseline(entries=tuple(kept), figures=figures)
