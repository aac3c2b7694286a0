"""The lint gate's `details`, typed: what ruff checked, with which rules, and what it found.

`to_dict` writes the scorecard's JSON; `from_dict` reads any scorecard, old or damaged: a key
that is missing or of the wrong type reads as None (and is left out again by `to_dict`).
"""

from __future__ import annotations

from dataclasses import dataclass

from auditor import access
from auditor.exclude import ExcludedFiles
from auditor.toolinfo import ResolvedTool, tools_from


@dataclass(frozen=True)
class FileCounts:
    """Findings in one file."""

    critical: int
    warnings: int

    def to_dict(self) -> dict[str, int]:
        return {"critical": self.critical, "warnings": self.warnings}

    @classmethod
    def from_dict(cls, data: object) -> FileCounts:
        counts = access.counts(data)
        return cls(int(counts.get("critical", 0)), int(counts.get("warnings", 0)))


@dataclass(frozen=True)
class LintDetails:
    selection: str | None = None
    """Which rules applied: the project's configuration file, or ruff's defaults."""
    critical_rules: tuple[str, ...] | None = None
    """Rule prefixes counted as critical (plus syntax errors)."""
    files_checked: int | None = None
    by_rule: dict[str, int] | None = None
    """Findings per rule code."""
    by_file: dict[str, FileCounts] | None = None
    tools: tuple[ResolvedTool, ...] | None = None
    exclusion: ExcludedFiles | None = None
    """What `[tool.audit] exclude` left out."""

    def to_dict(self) -> dict[str, object]:
        return access.without_none({
            "selection": self.selection,
            "critical_rules": None if self.critical_rules is None else list(self.critical_rules),
            "files_checked": self.files_checked,
            "by_rule": self.by_rule,
            "by_file": None if self.by_file is None
            else {path: counts.to_dict() for path, counts in self.by_file.items()},
            "tools": None if self.tools is None else [t.to_dict() for t in self.tools],
            "exclusion": None if self.exclusion is None else self.exclusion.to_dict(),
        })

    @classmethod
    def from_dict(cls, data: object) -> LintDetails:
        details = access.mapping(data)
        selection, rules = details.get("selection"), details.get("critical_rules")
        files, by_rule, by_file = (details.get(k) for k in ("files_checked", "by_rule", "by_file"))
        return cls(
            selection=selection if isinstance(selection, str) else None,
            critical_rules=tuple(access.strings(rules)) if isinstance(rules, list) else None,
            files_checked=access.whole(files),
            by_rule=None if not isinstance(by_rule, dict)
            else {k: int(v) for k, v in access.counts(by_rule).items()},
            by_file=None if not isinstance(by_file, dict)
            else {k: FileCounts.from_dict(v) for k, v in access.mapping(by_file).items()},
            tools=tools_from(details.get("tools")),
            exclusion=ExcludedFiles.from_dict(details.get("exclusion")),
        )
