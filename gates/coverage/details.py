"""The coverage gate's `details`, typed: what the gate writes into the scorecard and the report
view reads back.

The JSON stays the contract: `to_dict` gives the keys and shapes scorecard.json has always had,
and `from_dict` reads any scorecard, old or damaged, without raising. A key that is missing or
holds the wrong type reads as None (and is left out again by `to_dict`), so a scorecard written
before a field existed renders as it did; keys this module does not know (the runner's
`log_tail`, scoring's `warnings`) are kept in `other` as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _float(value: object) -> float | None:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    return value if ok else None  # type: ignore[return-value]


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _bool(value: object) -> bool | None:
    return value if isinstance(value, bool) else None


def _strs(value: object) -> tuple[str, ...] | None:
    if not isinstance(value, list):
        return None
    return tuple(v for v in value if isinstance(v, str))


def _mapping(value: object) -> Mapping[str, object]:
    return value if isinstance(value, dict) else {}


def _present(pairs: list[tuple[str, object]]) -> dict[str, Any]:
    """The pairs whose value is known, tuples as JSON lists."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in pairs if v is not None}


@dataclass(frozen=True)
class SuiteOutcomes:
    """Test outcomes, as pytest's summary counts them."""

    collected: int | None = None
    passed: int | None = None
    failed: int | None = None
    errors: int | None = None
    skipped: int | None = None
    xfailed: int | None = None
    xpassed: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return _present([(f.name, getattr(self, f.name)) for f in fields(self)])

    @classmethod
    def from_dict(cls, data: object) -> SuiteOutcomes:
        raw = _mapping(data)
        return cls(**{f.name: _int(raw.get(f.name)) for f in fields(cls)})


@dataclass(frozen=True)
class Totals:
    """coverage's totals at the gate's precision."""

    percent: float | None = None
    percent_display: str | None = None
    """The total as the project's own `[report] precision` shows it."""
    statements: int | None = None
    missing: int | None = None
    statement_percent: float | None = None
    branches: int | None = None
    missing_branches: int | None = None
    branch_percent: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return _present([(f.name, getattr(self, f.name)) for f in fields(self)])

    @classmethod
    def from_dict(cls, data: object) -> Totals:
        raw = _mapping(data)
        return cls(
            percent=_float(raw.get("percent")),
            percent_display=_str(raw.get("percent_display")),
            statements=_int(raw.get("statements")),
            missing=_int(raw.get("missing")),
            statement_percent=_float(raw.get("statement_percent")),
            branches=_int(raw.get("branches")),
            missing_branches=_int(raw.get("missing_branches")),
            branch_percent=_float(raw.get("branch_percent")),
        )


@dataclass(frozen=True)
class FileRow:
    """One file of the report: measured by coverage, or a critical file it never measured."""

    path: str = ""
    statements: int | None = None
    missing: int | None = None
    percent: float | None = None
    missing_lines: str | None = None
    """As coverage's Missing column shows them: `3-5, 9`."""
    critical: bool | None = None
    measured: bool | None = None
    branches: int | None = None
    missing_branches: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return _present([(f.name, getattr(self, f.name)) for f in fields(self)])

    @classmethod
    def from_dict(cls, data: object) -> FileRow:
        raw = _mapping(data)
        return cls(
            path=_str(raw.get("path")) or "",
            statements=_int(raw.get("statements")),
            missing=_int(raw.get("missing")),
            percent=_float(raw.get("percent")),
            missing_lines=_str(raw.get("missing_lines")),
            critical=_bool(raw.get("critical")),
            measured=_bool(raw.get("measured")),
            branches=_int(raw.get("branches")),
            missing_branches=_int(raw.get("missing_branches")),
        )


_SCALARS = {
    "interpreter": _str,
    "python_version": _str,
    "command": _str,
    "pytest_exit_code": _int,
    "branch": _bool,
    "line_coverage_figure": _str,
    "combined_data_files": _int,
    "precision": _int,
}
_LISTS = (
    "pytest_args_added", "measured_files", "skipped_files", "critical_paths",
    "critical_unmeasured",
)


@dataclass(frozen=True)
class CoverageDetails:
    """Everything the coverage gate reports beyond its conditions and findings."""

    interpreter: str | None = None
    python_version: str | None = None
    command: str | None = None
    """The coverage command the suite ran under."""
    tests: SuiteOutcomes | None = None
    pytest_exit_code: int | None = None
    pytest_args_added: tuple[str, ...] | None = None
    """Arguments that kept installed plugins (pytest-cov, xdist) from hiding the run."""
    branch: bool | None = None
    """Whether the project measures branches."""
    line_coverage_figure: str | None = None
    """Which figure of coverage's report `line_coverage` is."""
    totals: Totals | None = None
    files: tuple[FileRow, ...] | None = None
    measured_files: tuple[str, ...] | None = None
    skipped_files: tuple[str, ...] | None = None
    """Files coverage could not parse and left out of its report."""
    critical_paths: tuple[str, ...] | None = None
    critical_unmeasured: tuple[str, ...] | None = None
    combined_data_files: int | None = None
    precision: int | None = None
    """Decimal places of every percentage."""
    other: Mapping[str, Any] = field(default_factory=dict)
    """Keys not named above, as they were (`log_tail`, `warnings`)."""

    def to_dict(self) -> dict[str, Any]:
        known: list[tuple[str, object]] = []
        for f in fields(self):
            if f.name == "other":
                continue
            value = getattr(self, f.name)
            if isinstance(value, SuiteOutcomes | Totals):
                value = value.to_dict()
            elif f.name == "files" and value is not None:
                value = [row.to_dict() for row in value]
            known.append((f.name, value))
        return {**_present(known), **self.other}

    @classmethod
    def from_dict(cls, data: object) -> CoverageDetails:
        """Read details of any age or state; never raises."""
        raw = _mapping(data)
        files = raw.get("files")
        values: dict[str, Any] = {key: read(raw.get(key)) for key, read in _SCALARS.items()}
        values.update({key: _strs(raw.get(key)) for key in _LISTS})
        names = {f.name for f in fields(cls)}
        return cls(
            **values,
            tests=SuiteOutcomes.from_dict(raw["tests"]) if isinstance(raw.get("tests"), dict)
            else None,
            totals=Totals.from_dict(raw["totals"]) if isinstance(raw.get("totals"), dict)
            else None,
            files=tuple(FileRow.from_dict(f) for f in files if isinstance(f, dict))
            if isinstance(files, list) else None,
            other={k: v for k, v in raw.items() if k not in names},
        )
