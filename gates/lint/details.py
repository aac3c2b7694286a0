"""The lint gate's `details`, typed: what ruff checked, with which rules, and what it found.

The field names are the scorecard's JSON keys; msgspec writes them and reads them back, and a
value of the wrong type is a validation error naming the field.
"""

from __future__ import annotations

import msgspec

from auditor.model import Details


class FileCounts(msgspec.Struct, frozen=True, omit_defaults=True, forbid_unknown_fields=True):
    """Findings in one file."""

    critical: int
    warnings: int


class LintDetails(Details, frozen=True, kw_only=True):
    """What ruff checked, with which rules, and its findings by rule and by file."""

    selection: str | None = None
    """Which rules applied: the project's configuration file, or ruff's defaults."""
    critical_rules: tuple[str, ...] = ()
    """Rule prefixes counted as critical (plus syntax errors)."""
    files_checked: int | None = None
    by_rule: dict[str, int] = msgspec.field(default_factory=dict)
    """Findings per rule code."""
    by_file: dict[str, FileCounts] = msgspec.field(default_factory=dict)
    """Findings per file, critical and not."""
