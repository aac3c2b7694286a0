"""Drives bandit over the target's Python files and reads its JSON report.

bandit's exit codes (https://bandit.readthedocs.io/en/latest/start.html): 0 no issue, 1 issues
found; anything else is a failure. Its `-x` exclusion matches by substring (excluding `test`
also drops `contest.py`), so the files are chosen here with globs and passed by name.
"""

from __future__ import annotations

import fnmatch
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Literal

import msgspec

from auditor.errors import GateError
from auditor.exclude import TEST_GLOBS
from auditor.model import Finding, Severity
from auditor.plugin import GateContext
from gates.security.details import UnparsedFile
from gates.tools import NotAReportError, check_exit, run_tool, tool_failed

OK_CODES = (0, 1)
LEVELS = ("LOW", "MEDIUM", "HIGH")
BATCH_CHARS = 100_000
"""Files per bandit run are bounded by the length of their names, far below ARG_MAX."""

DEFAULT_EXCLUDE = (
    # Test code: asserts and fixtures dominate bandit's findings there.
    *TEST_GLOBS,
    # Environments, build output and tool caches are not the project's code.
    ".*",
    "venv",
    "env",
    "site-packages",
    "node_modules",
    "build",
    "dist",
    "__pycache__",
    "*.egg-info",
)


@dataclass(frozen=True)
class Selection:
    """The Python files bandit scans and what the exclusion patterns left out."""

    files: list[str]
    excluded: list[str]
    """Excluded files and directories (a directory once, with a trailing slash)."""


def _excluded(rel: PurePosixPath, patterns: Sequence[str]) -> bool:
    for pattern in patterns:
        if "/" in pattern:
            if fnmatch.fnmatchcase(str(rel), pattern.strip("/")):
                return True
        elif fnmatch.fnmatchcase(rel.name, pattern):
            return True
    return False


def select_files(root: Path, patterns: Sequence[str]) -> Selection:
    """Every `*.py` file under ROOT whose path and parent directories match no pattern.

    A pattern without `/` matches a file or directory name anywhere (`tests`, `test_*.py`);
    one with `/` matches a path relative to the root (`app/generated/*`).
    """
    files: list[str] = []
    excluded: list[str] = []
    for current, dirs, names in os.walk(root):
        base = PurePosixPath(Path(current).relative_to(root).as_posix())
        kept: list[str] = []
        for name in sorted(dirs):
            rel = base / name if str(base) != "." else PurePosixPath(name)
            if _excluded(rel, patterns):
                excluded.append(f"{rel}/")
            else:
                kept.append(name)
        dirs[:] = kept
        for name in sorted(names):
            if not name.endswith(".py"):
                continue
            rel = base / name if str(base) != "." else PurePosixPath(name)
            (excluded if _excluded(rel, patterns) else files).append(str(rel))
    return Selection(files=sorted(files), excluded=sorted(excluded))


@dataclass(frozen=True)
class BanditReport:
    """What bandit found, with every result and every file it could not parse."""

    findings: list[Finding]
    counts: dict[str, int]
    """Results by severity."""
    critical: int
    errors: list[UnparsedFile]
    nosec: int
    """Lines bandit skipped because of a `# nosec` comment."""


Level = Literal["UNDEFINED", "LOW", "MEDIUM", "HIGH"]
"""bandit's severities and confidences (bandit/core/constants.py, RANKING)."""


class BanditResult(msgspec.Struct, frozen=True):
    """An entry of the report's `results` (bandit/core/issue.py, `Issue.as_dict`), the fields
    the gate reads; bandit writes every one."""

    filename: str
    test_id: str
    test_name: str
    issue_severity: Level
    issue_confidence: Level
    issue_text: str
    line_number: int


class BanditError(msgspec.Struct, frozen=True):
    """An entry of the report's `errors`: a file bandit could not scan, and why."""

    filename: str
    reason: str


class BanditTotals(msgspec.Struct, frozen=True):
    nosec: int
    """Lines skipped because of a `# nosec` comment."""


class BanditMetrics(msgspec.Struct, frozen=True):
    """The report's `metrics`: one entry per file, and their `_totals`."""

    totals: BanditTotals = msgspec.field(name="_totals")


class BanditJson(msgspec.Struct, frozen=True):
    """bandit's JSON report (bandit/formatters/json.py): `results`, `errors` and `metrics` are
    always written."""

    results: tuple[BanditResult, ...]
    errors: tuple[BanditError, ...]
    metrics: BanditMetrics


def _rank(level: str) -> int:
    return LEVELS.index(level) if level in LEVELS else -1


def _rel(filename: str) -> str:
    path = filename.replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    return path


def _severity(counted: bool, level: str) -> Severity:
    if counted:
        return "critical"
    return "warning" if _rank(level) >= _rank("MEDIUM") else "info"


def decode(stdout: str) -> BanditJson:
    """bandit's JSON report; NotAReportError when the output is no JSON object, GateError
    naming the field when it is not the report bandit writes."""
    try:
        data = msgspec.json.decode(stdout, type=dict[str, Any])
    except msgspec.DecodeError as exc:
        raise NotAReportError(f"bandit's output is not a JSON object: {exc}") from None
    try:
        return msgspec.convert(data, BanditJson)
    except msgspec.ValidationError as exc:
        raise GateError(f"bandit's JSON report is not the one bandit writes: {exc}") from None


def _finding(result: BanditResult, counted: bool) -> Finding:
    return Finding(
        path=_rel(result.filename),
        line=result.line_number,
        rule=result.test_id,
        severity=_severity(counted, result.issue_severity),
        message=f"{result.issue_text} ({result.test_name})",
        tool="bandit",
        extra={"severity": result.issue_severity, "confidence": result.issue_confidence},
    )


def parse(stdout: str, severity: str, confidence: str) -> BanditReport:
    """Read bandit's JSON report; GateError when it is not one.

    A result counts as critical when its severity is at least SEVERITY and its confidence at
    least CONFIDENCE.
    """
    report = decode(stdout)
    findings: list[Finding] = []
    counts = Counter(dict.fromkeys(LEVELS, 0))
    critical = 0
    for result in report.results:
        counts[result.issue_severity] += 1
        counted = _rank(result.issue_severity) >= _rank(severity) and _rank(
            result.issue_confidence
        ) >= _rank(confidence)
        critical += counted
        findings.append(_finding(result, counted))
    return BanditReport(
        findings=findings,
        counts=dict(counts),
        critical=critical,
        errors=[UnparsedFile(path=_rel(e.filename), reason=e.reason) for e in report.errors],
        nosec=report.metrics.totals.nosec,
    )


def _batches(files: Sequence[str]) -> list[list[str]]:
    batches: list[list[str]] = [[]]
    size = 0
    for name in files:
        if batches[-1] and size + len(name) > BATCH_CHARS:
            batches.append([])
            size = 0
        batches[-1].append(name)
        size += len(name) + 1
    return batches


def _merge(reports: Sequence[BanditReport]) -> BanditReport:
    counts = Counter(dict.fromkeys(LEVELS, 0))
    for report in reports:
        counts.update(report.counts)
    return BanditReport(
        findings=[f for r in reports for f in r.findings],
        counts=dict(counts),
        critical=sum(r.critical for r in reports),
        errors=[e for r in reports for e in r.errors],
        nosec=sum(r.nosec for r in reports),
    )


def run(
    ctx: GateContext,
    *,
    files: Sequence[str],
    command: Sequence[str],
    severity: str,
    confidence: str,
) -> BanditReport:
    """Run bandit (COMMAND) on FILES, relative to the target root."""
    base = list(command)
    reports: list[BanditReport] = []
    for batch in _batches(files):
        result = run_tool(
            ctx, "bandit", [*base, "-f", "json", "-q", "--", *batch], cwd=ctx.root
        )
        check_exit("bandit", result, OK_CODES)
        try:
            reports.append(parse(result.stdout, severity, confidence))
        except NotAReportError as exc:
            raise tool_failed("bandit wrote no JSON report", result, detail=str(exc)) from None
        except GateError as exc:
            raise GateError(str(exc), log_tail=result.describe(tail_lines=40)) from None
    report = _merge(reports)
    if len(report.errors) >= len(files):
        raise GateError(
            "bandit could not parse any file: "
            + "; ".join(f"{e.path}: {e.reason}" for e in report.errors[:5])
        )
    return report
