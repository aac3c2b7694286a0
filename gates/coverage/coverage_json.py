"""coverage.py's JSON report (`coverage json`), typed: exactly the fields the gate reads.

The format is documented at https://coverage.readthedocs.io/en/latest/commands/cmd_json.html
and defined by coverage/jsonreport.py. Every version from 5.0 on writes `meta.version`,
`meta.branch_coverage`, and for the totals and each file `num_statements`, `missing_lines`,
`percent_covered`, and each file's `executed_lines` and `missing_lines`; the branch counts
`num_branches` and `missing_branches` (coverage 5.1 and later) only when branches were measured,
where the gate requires them. Fields the gate does not read are ignored: coverage adds fields.
"""

from __future__ import annotations

from typing import Generic, TypeVar

import msgspec

from auditor.errors import GateError


class Meta(msgspec.Struct, frozen=True):
    version: str
    """coverage.py's version."""
    branch_coverage: bool
    """Branches were measured: the summaries hold branch counts."""


class LineSummary(msgspec.Struct, frozen=True):
    """The `summary` of a file, or the `totals`, without branches."""

    num_statements: int
    missing_lines: int
    """A count here; a file's own `missing_lines` is the list of line numbers."""
    percent_covered: float
    """Statements and branches combined when branches were measured."""
    percent_covered_display: str | None = None
    """The percentage at the project's `[report] precision`; written since coverage 5.6."""


class BranchSummary(LineSummary, frozen=True, kw_only=True):
    """A summary when branches were measured (`meta.branch_coverage`)."""

    num_branches: int
    missing_branches: int


S_co = TypeVar("S_co", bound=LineSummary, covariant=True)


class FileReport(msgspec.Struct, Generic[S_co], frozen=True):
    """One measured file."""

    executed_lines: list[int]
    missing_lines: list[int]
    summary: S_co
    missing_branches: list[tuple[int, int]] | None = None
    """The missing arcs (a negative end is an exit); written with branches since coverage 6.5,
    so older versions show only missing lines in the Missing column."""


class CoverageReport(msgspec.Struct, Generic[S_co], frozen=True):
    """The report: its meta, its totals, and its files by the name coverage reports them."""

    meta: Meta
    totals: S_co
    files: dict[str, FileReport[S_co]]


class _Head(msgspec.Struct, frozen=True):
    meta: Meta


_LINES = CoverageReport[LineSummary]
_BRANCHES = CoverageReport[BranchSummary]


def _invalid(exc: msgspec.ValidationError) -> GateError:
    return GateError(f"coverage's JSON report does not have the format coverage.py writes: {exc}")


def decode_report(raw: bytes) -> CoverageReport[LineSummary]:
    """The report in RAW (what `coverage json` wrote); its summaries are BranchSummary when
    branches were measured. Malformed JSON, or a field missing or of the wrong type, is a
    GateError naming it."""
    try:
        head = msgspec.json.decode(raw, type=_Head)
        return msgspec.json.decode(raw, type=_BRANCHES if head.meta.branch_coverage else _LINES)
    except msgspec.ValidationError as exc:
        raise _invalid(exc) from None
    except msgspec.DecodeError as exc:
        raise GateError(f"coverage's JSON report could not be read: {exc}") from None


def convert_report(data: object) -> CoverageReport[LineSummary]:
    """The report in DATA, coverage's JSON report already parsed (as `decode_report`)."""
    try:
        head = msgspec.convert(data, _Head)
        return msgspec.convert(data, _BRANCHES if head.meta.branch_coverage else _LINES)
    except msgspec.ValidationError as exc:
        raise _invalid(exc) from None
