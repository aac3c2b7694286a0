"""Drives bandit over the target's Python files and reads its JSON report.

bandit's exit codes (https://bandit.readthedocs.io/en/latest/start.html): 0 no issue, 1 issues
found; anything else is a failure. Its `-x` exclusion matches by substring (excluding `test`
also drops `contest.py`), so the files are chosen here with globs and passed by name.
"""

from __future__ import annotations

import fnmatch
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import cast

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
    errors: list[UnparsedFile] = field(default_factory=list)
    nosec: int = 0
    """Lines bandit skipped because of a `# nosec` comment."""


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


def parse(stdout: str, severity: str, confidence: str) -> BanditReport:
    """Read bandit's JSON report; GateError when it is not one.

    A result counts as critical when its severity is at least SEVERITY and its confidence at
    least CONFIDENCE.
    """
    try:
        data = json.loads(stdout)
    except ValueError:
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        raise NotAReportError("bandit's output is not its JSON report")
    findings: list[Finding] = []
    counts = dict.fromkeys(LEVELS, 0)
    critical = 0
    for item in cast(list[dict[str, object]], data["results"]):
        sev = str(item.get("issue_severity", "")).upper()
        conf = str(item.get("issue_confidence", "")).upper()
        counts[sev] = counts.get(sev, 0) + 1
        counted = _rank(sev) >= _rank(severity) and _rank(conf) >= _rank(confidence)
        critical += counted
        line = item.get("line_number")
        findings.append(
            Finding(
                path=_rel(str(item.get("filename", ""))),
                line=line if isinstance(line, int) else None,
                rule=str(item.get("test_id", "")),
                severity=_severity(counted, sev),
                message=f"{item.get('issue_text', '')} ({item.get('test_name', '')})",
                tool="bandit",
                extra={"severity": sev, "confidence": conf},
            )
        )
    errors = [
        UnparsedFile(path=_rel(str(e.get("filename", ""))), reason=str(e.get("reason", "")))
        for e in cast(list[dict[str, object]], data.get("errors") or [])
        if isinstance(e, dict)
    ]
    metrics = data.get("metrics")
    totals = metrics.get("_totals") if isinstance(metrics, dict) else None
    nosec = totals.get("nosec", 0) if isinstance(totals, dict) else 0
    return BanditReport(
        findings=findings,
        counts=counts,
        critical=critical,
        errors=errors,
        nosec=nosec if isinstance(nosec, int) else 0,
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
    counts = dict.fromkeys(LEVELS, 0)
    for report in reports:
        for level, n in report.counts.items():
            counts[level] = counts.get(level, 0) + n
    return BanditReport(
        findings=[f for r in reports for f in r.findings],
        counts=counts,
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
        except NotAReportError:
            raise tool_failed("bandit wrote no JSON report", result) from None
    report = _merge(reports)
    if len(report.errors) >= len(files):
        raise GateError(
            "bandit could not parse any file: "
            + "; ".join(f"{e.path}: {e.reason}" for e in report.errors[:5])
        )
    return report
