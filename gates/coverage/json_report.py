"""coverage's JSON report of the work directory's data file, written in shares side by side.

`coverage json` spends its time analysing each measured file (parsing it, finding its
statements and branches); the files are independent, so the report is written by one
`coverage json FILE...` per CPU, each for a share of the files, and the shares are merged. On
jinja2's 56 files one report takes 1.25 s, two shares side by side 0.67 s.

The totals of merged shares are summed from the files' own summaries, as coverage sums them
(`Numbers.__add__` over the files it reports), and the percentage is computed with coverage's
own formula and display rounding (`Numbers.pc_covered`, `display_covered`), so they equal what
one report of the same files says. The files to report are read from the data file's `file`
table (coverage's SQLite data file since 5.0): files the gate leaves out (`[tool.audit]
exclude`, the auditor's own plugins) are never reported, so no second report is needed. When
that table cannot be read, a path in it is relative (`relative_files`), or the names are too many
for command lines, one report of every file is written and the left-out files are dropped from
it, the totals summed the same way.
"""

from __future__ import annotations

import functools
import os
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from auditor.errors import GateError
from auditor.plugin import GateContext
from auditor.procs import ProcResult
from gates.beside import Beside
from gates.coverage.coverage_json import (
    BranchSummary,
    CoverageReport,
    FileReport,
    LineSummary,
    decode_report,
)
from gates.coverage.parse import display_percent
from gates.tools import check_exit

# `coverage json`: 0 = written; 2 = written, but the total is under the project's own
# `fail_under` (which is not this gate's threshold); 1 = error, e.g. "No data to report".
JSON_OK = (0, 2)
FILES_PER_SHARE = 20
"""Fewest files worth a `coverage json` of their own (each costs a start of coverage)."""
MAX_SHARES = 4
"""Most shares at once, whatever the CPUs: each share loads the whole data file."""
MAX_NAMES_BYTES = 256 * 1024
"""The most bytes of file names one command line carries (Linux allows 2 MiB for the arguments
and the environment together); more files are reported by one `coverage json` of every file."""


class NothingKeptError(GateError):
    """Every measured file was left out."""


@dataclass(frozen=True)
class Written:
    """The report and what `coverage json` printed while writing it."""

    report: CoverageReport[LineSummary]
    stderr: str
    result: ProcResult
    """The (first) run, for its log."""


def measured_files(data_file: Path) -> list[str] | None:
    """The absolute paths in DATA_FILE's `file` table, or None when it cannot be read that way
    or holds a relative path."""
    try:
        with closing(sqlite3.connect(f"{data_file.as_uri()}?mode=ro", uri=True)) as connection:
            paths = [str(row[0]) for row in connection.execute("SELECT path FROM file")]
    except sqlite3.Error:
        return None
    return paths if all(Path(path).is_absolute() for path in paths) else None


def shares(files: Sequence[str], cpus: int) -> list[list[str]]:
    """FILES in up to CPUS (at most MAX_SHARES) shares of about equal bytes (the largest file
    first into the lightest share), at least FILES_PER_SHARE files each."""
    count = max(1, min(cpus, MAX_SHARES, len(files) // FILES_PER_SHARE))
    parts: list[list[str]] = [[] for _ in range(count)]
    weights = [0] * count
    for path in sorted(files, key=_size, reverse=True):
        lightest = weights.index(min(weights))
        parts[lightest].append(path)
        weights[lightest] += _size(path)
    return [sorted(part) for part in parts]


def _size(path: str) -> int:
    try:
        return Path(path).stat().st_size
    except OSError:
        return 0


def _cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def write_report(
    ctx: GateContext, coverage_cmd: Sequence[str], env: dict[str, str],
    keep: Callable[[str], bool],
) -> Written:
    """coverage's JSON report of the work directory's data file, with only the measured files
    whose absolute path KEEP accepts; GateError when it fails or is not coverage's format."""
    measured = measured_files(ctx.workdir / ".coverage")
    if measured is not None and sum(len(path) + 1 for path in measured) > MAX_NAMES_BYTES:
        measured = None
    if measured is None:
        whole = _share(ctx, coverage_cmd, env, [], ctx.workdir / "coverage.json")
        return Written(_kept(whole[1], keep, ctx.root), whole[0].stderr, whole[0])
    kept = [path for path in measured if keep(path)]
    if not kept:
        raise NothingKeptError("every file coverage measured is left out of its report")
    parts = shares(kept, _cpus())
    outputs = [ctx.workdir / f"coverage.{n}.json" for n in range(len(parts))]
    if len(parts) == 1:
        outputs = [ctx.workdir / "coverage.json"]
    beside = [
        Beside(functools.partial(_share, ctx, coverage_cmd, env, part, out), "coverage json")
        for part, out in zip(parts[1:], outputs[1:], strict=True)
    ]
    try:
        first = _share(ctx, coverage_cmd, env, parts[0], outputs[0])
    except BaseException as exc:
        for work in beside:
            work.abandon(exc)
        raise
    written = [first, *(work.result() for work in beside)]
    report = written[0][1] if len(written) == 1 else merged([w[1] for w in written])
    return Written(report, _unique_lines(w[0].stderr for w in written), first[0])


def _share(
    ctx: GateContext, coverage_cmd: Sequence[str], env: dict[str, str], files: Sequence[str],
    output: Path,
) -> tuple[ProcResult, CoverageReport[LineSummary]]:
    """`coverage json` of FILES (every measured file when empty) into OUTPUT, decoded."""
    written = ctx.run(
        [*coverage_cmd, "json", "-o", str(output), "--ignore-errors", *files], env=env
    )
    check_exit("`coverage json`", written, JSON_OK)
    try:
        return written, decode_report(output.read_bytes())
    except OSError as exc:
        raise GateError(
            f"coverage's JSON report could not be read: {exc}", log_tail=written.describe()
        ) from None
    except GateError as exc:
        raise GateError(str(exc), log_tail=written.describe()) from None


def _unique_lines(texts: Iterable[str]) -> str:
    """The lines of TEXTS, each once: every share warns of what concerns the whole run."""
    seen: dict[str, None] = {}
    for text in texts:
        for line in text.splitlines():
            seen.setdefault(line)
    return "\n".join(seen)


def _kept(
    report: CoverageReport[LineSummary], keep: Callable[[str], bool], root: Path
) -> CoverageReport[LineSummary]:
    """REPORT without the files KEEP refuses (by absolute path), its totals summed again."""
    files = {name: f for name, f in report.files.items() if keep(str(root / name))}
    if not files and report.files:
        raise NothingKeptError("every file coverage measured is left out of its report")
    if len(files) == len(report.files):
        return report
    return merged([CoverageReport(report.meta, report.totals, files)])


def merged(reports: Sequence[CoverageReport[LineSummary]]) -> CoverageReport[LineSummary]:
    """One report of the files of REPORTS (disjoint shares of one data file), with the totals
    coverage would give them."""
    meta = reports[0].meta
    files: dict[str, FileReport[LineSummary]] = {}
    for report in reports:
        if report.meta != meta:
            raise GateError("the shares of coverage's JSON report disagree on how they measured")
        files.update(report.files)
    return CoverageReport(meta, summed(files.values(), reports[0].totals), files)


def summed(files: Iterable[FileReport[LineSummary]], like: LineSummary) -> LineSummary:
    """The totals of FILES (their FileReports) as coverage sums them; LIKE (a report's own
    totals) gives the kind of summary and the display precision."""
    reports = list(files)
    statements = sum(f.summary.num_statements for f in reports)
    missing = sum(f.summary.missing_lines for f in reports)
    counts = [_branches(f.summary) for f in reports] if isinstance(like, BranchSummary) else []
    branches = sum(found for found, _ in counts)
    missing_branches = sum(missed for _, missed in counts)
    total = statements + branches
    covered = (statements - missing) + (branches - missing_branches)
    percent = (100.0 * covered) / total if total > 0 else 100.0
    display = None
    if like.percent_covered_display is not None:
        precision = len(like.percent_covered_display.partition(".")[2])
        display = "%.*f" % (precision, display_percent(percent, precision))  # noqa: UP031
    if isinstance(like, BranchSummary):
        return BranchSummary(statements, missing, percent, display, num_branches=branches,
                             missing_branches=missing_branches)
    return LineSummary(statements, missing, percent, display)


def _branches(summary: LineSummary) -> tuple[int, int]:
    if not isinstance(summary, BranchSummary):
        raise GateError("a file of coverage's JSON report has no branch counts")
    return summary.num_branches, summary.missing_branches
