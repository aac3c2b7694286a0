"""Pure readers of what pytest and coverage.py write: the JUnit XML and coverage's JSON report.

Nothing here runs a process, so each function is tested on real saved outputs. The only XML
read is a JUnit report pytest wrote: our own child process's, in the gate's private directory,
or one a CI job wrote that the gate reuses. coverage's JSON report is typed in coverage_json.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # nosec B405
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

from auditor.errors import GateError
from gates.coverage.coverage_json import (
    BranchSummary,
    CoverageReport,
    FileReport,
    LineSummary,
    convert_report,
)

PRECISION = 2
"""Decimal places of every percentage the gate reports, as `coverage report --precision=2`."""


@dataclass(frozen=True)
class FailedTest:
    """A test that failed or errored, as the JUnit XML names it."""

    classname: str
    name: str
    kind: str
    """`failure` or `error`."""
    message: str


@dataclass(frozen=True)
class SuiteCounts:
    """Test outcomes counted from the JUnit XML, one per test case."""

    collected: int
    passed: int
    failed: int
    errors: int
    skipped: int
    failures: tuple[FailedTest, ...]
    xfailed: int
    """Expected failures (`xfail` tests that failed), as pytest's summary counts them."""
    xpassed: int
    """`xfail` tests that passed (not strict); counted among `passed` by the JUnit report, so
    0 until the outcome counter's figure moves them (`with_xpassed`)."""


@dataclass(frozen=True)
class FileCoverage:
    """One measured file, as coverage's JSON report gives it."""

    path: str
    """Relative to the target root with forward slashes (absolute when outside it)."""
    statements: int
    missing: int
    percent: float
    """coverage.py's per-file figure (statements and branches combined in branch mode)."""
    missing_lines: str
    first_missing: int | None
    branches: int | None = None
    """None unless branch coverage was measured; as `missing_branches`."""
    missing_branches: int | None = None
    executed: frozenset[int] = frozenset()
    """Line numbers of the statements that ran."""
    unexecuted: frozenset[int] = frozenset()
    """Line numbers of the statements that never ran."""


@dataclass(frozen=True)
class CoverageTotals:
    """The totals of coverage's JSON report, at PRECISION decimal places."""

    percent: float
    """`totals.percent_covered`: the TOTAL that `coverage report` prints."""
    statements: int
    missing: int
    statement_percent: float
    branch: bool
    branches: int | None
    """None unless branch coverage was measured."""
    missing_branches: int | None
    branch_percent: float | None
    """None unless branch coverage was measured and there is at least one branch."""
    files: list[FileCoverage] = field(default_factory=list)
    display: str | None = None
    """The total as the project's own `[report] precision` shows it (coverage 5.6 and later)."""


def display_percent(pc: float, precision: int = PRECISION) -> float:
    """A percentage rounded the way `coverage report` rounds it (coverage.results.display_covered).

    Rounding never produces 0 or 100 from a value that is not exactly 0 or 100.
    """
    near0 = 10.0**-precision
    if 0 < pc < near0:
        return near0
    if (100.0 - near0) < pc < 100:
        return round(100.0 - near0, precision)
    return round(pc, precision)


def format_lines(
    statements: Iterable[int],
    lines: Iterable[int],
    arcs: Iterable[tuple[int, int]] = (),
) -> str:
    """Missing lines as coverage's Missing column shows them: "3-5, 9", plus "2->4" in branch mode.

    Runs of missing statements are joined even across lines that are not statements; a missing
    branch is shown unless its start or end line is itself missing (a negative end is an exit).
    """
    wanted = set(lines)
    items: list[tuple[int, str]] = []
    start: int | None = None
    end = 0
    for line in sorted(set(statements) | wanted):
        if line in wanted:
            if start is None:
                start = line
            end = line
        elif start is not None:
            items.append((start, str(start) if start == end else f"{start}-{end}"))
            start = None
    if start is not None:
        items.append((start, str(start) if start == end else f"{start}-{end}"))
    for source, dest in sorted(arcs):
        if source not in wanted and dest not in wanted:
            items.append((source, f"{source}->{dest if dest > 0 else 'exit'}"))
    return ", ".join(text for _, text in sorted(items))


_OUTCOMES = ("passed", "failed", "errors", "skipped", "xfailed")
"""What a JUnit test case can count as, before pytest's xpassed are told from passed."""


def _failed_test(case: ET.Element, bad: ET.Element) -> FailedTest:
    """The failed or errored CASE; `name` is required in JUnit XML (pytest validates its report
    against junit-10.xsd), `classname` and the `message` of a failure or error are optional."""
    name = case.get("name")
    if name is None:
        raise GateError("pytest's JUnit report has a <testcase> without its required `name`")
    return FailedTest(
        classname=case.get("classname") or "",
        name=name,
        kind=bad.tag,
        message=(bad.get("message") or "").strip(),
    )


def _outcome(case: ET.Element) -> tuple[str, FailedTest | None]:
    """What CASE counts as, and the failed test when it failed or errored."""
    failure = case.find("failure")
    bad = failure if failure is not None else case.find("error")
    if bad is not None:
        return ("failed" if bad is failure else "errors"), _failed_test(case, bad)
    skip = case.find("skipped")
    if skip is not None:
        return ("xfailed" if skip.get("type") == "pytest.xfail" else "skipped"), None
    return "passed", None


def parse_junit(path: Path) -> SuiteCounts:
    """Count test outcomes in pytest's JUnit XML: every test case counts once.

    A case with a failure counts as failed, one with an error (and no failure) as an error,
    one with only a skip as skipped (or as xfailed when pytest marks the skip `pytest.xfail`),
    and every other case as passed. pytest writes an xpassed test as a plain pass: the
    caller moves those from `passed` to `xpassed` (`with_xpassed`). Only the test cases are
    counted: no count attribute of the report is read.
    """
    try:
        tree = ET.parse(path)  # noqa: S314  # nosec B314
    except FileNotFoundError:
        raise GateError(f"pytest wrote no JUnit report ({path.name})") from None
    except (ET.ParseError, OSError) as exc:
        raise GateError(f"pytest's JUnit report could not be read: {exc}") from None
    tally = dict.fromkeys(_OUTCOMES, 0)
    failures: list[FailedTest] = []
    for case in tree.getroot().iter("testcase"):
        outcome, failed = _outcome(case)
        tally[outcome] += 1
        if failed is not None:
            failures.append(failed)
    return SuiteCounts(
        collected=sum(tally.values()),
        passed=tally["passed"],
        failed=tally["failed"],
        errors=tally["errors"],
        skipped=tally["skipped"],
        failures=tuple(failures),
        xfailed=tally["xfailed"],
        xpassed=0,
    )


def with_xpassed(counts: SuiteCounts, xpassed: int) -> SuiteCounts:
    """COUNTS with XPASSED of its passed tests counted as xpassed instead."""
    moved = min(xpassed, counts.passed)
    return replace(counts, passed=counts.passed - moved, xpassed=counts.xpassed + moved)


def relative_path(name: str, root: Path) -> str:
    """A path from coverage's report relative to the root with forward slashes, if under it."""
    path = Path(name)
    full = path if path.is_absolute() else root / path
    try:
        return full.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return PurePosixPath(full.as_posix()).as_posix()


def _percent(covered: int, total: int) -> float:
    return 100.0 * covered / total if total else 100.0


def _file(path: str, data: FileReport[LineSummary]) -> FileCoverage:
    summary = data.summary
    branch = summary if isinstance(summary, BranchSummary) else None
    executed, missing = data.executed_lines, data.missing_lines
    arcs = (data.missing_branches or ()) if branch is not None else ()
    return FileCoverage(
        path=path,
        statements=summary.num_statements,
        missing=summary.missing_lines,
        percent=display_percent(summary.percent_covered),
        missing_lines=format_lines(executed + missing, missing, arcs),
        first_missing=min(missing) if missing else None,
        branches=branch.num_branches if branch is not None else None,
        missing_branches=branch.missing_branches if branch is not None else None,
        executed=frozenset(executed),
        unexecuted=frozenset(missing),
    )


def coverage_totals(report: CoverageReport[LineSummary], root: Path) -> CoverageTotals:
    """The totals and files of coverage's JSON report (coverage 5.0 and later)."""
    totals = report.totals
    branch = totals if isinstance(totals, BranchSummary) else None
    statements, missing = totals.num_statements, totals.missing_lines
    return CoverageTotals(
        percent=display_percent(totals.percent_covered),
        statements=statements,
        missing=missing,
        statement_percent=display_percent(_percent(statements - missing, statements)),
        branch=branch is not None,
        branches=branch.num_branches if branch is not None else None,
        missing_branches=branch.missing_branches if branch is not None else None,
        branch_percent=(
            display_percent(
                _percent(branch.num_branches - branch.missing_branches, branch.num_branches)
            )
            if branch is not None and branch.num_branches
            else None
        ),
        files=sorted(
            (_file(relative_path(name, root), entry) for name, entry in report.files.items()),
            key=lambda f: f.path,
        ),
        display=totals.percent_covered_display,
    )


def parse_coverage_json(data: object, root: Path) -> CoverageTotals:
    """Read coverage's JSON report, already parsed; a field missing or of the wrong type is a
    GateError naming it."""
    return coverage_totals(convert_report(data), root)


# coverage.py reports a file it cannot parse (with --ignore-errors) only as a warning on stderr,
# tagged with the documented slug `couldnt-parse`; no machine-readable output names it.
_SKIPPED = re.compile(r"Couldn't parse (?:Python file )?'(?P<path>[^']+)'.*\(couldnt-parse\)")


# coverage.py's warnings (https://coverage.readthedocs.io/en/latest/messages.html) go to stderr
# as Python warnings, each tagged with its documented slug; no machine-readable output has them.
_WARNING = re.compile(r"CoverageWarning: (?P<message>.*?) \((?P<slug>[a-z][a-z-]*)\)")


@dataclass(frozen=True)
class CoverageWarning:
    """One warning coverage.py printed, by its documented slug."""

    slug: str
    """`no-data-collected`, `module-not-imported`, ..."""
    message: str


def coverage_warnings(stderr: str) -> list[CoverageWarning]:
    """coverage.py's warnings in STDERR, once each, in order; unparsable files are reported
    apart (`skipped_files`)."""
    found = (
        CoverageWarning(m["slug"], m["message"])
        for m in map(_WARNING.search, stderr.splitlines())
        if m and m["slug"] != "couldnt-parse"
    )
    return list(dict.fromkeys(found))


def skipped_files(stderr: str, root: Path) -> list[str]:
    """Files coverage could not parse and left out of its report, from its warnings."""
    found = (m.group("path") for m in map(_SKIPPED.search, stderr.splitlines()) if m)
    return sorted({relative_path(p, root) for p in found})


def case_file(classname: str, root: Path) -> str | None:
    """The file of a JUnit classname such as `tests.test_mod.TestCase`, when it exists."""
    parts = classname.split(".")
    for end in range(len(parts), 0, -1):
        rel = "/".join(parts[:end]) + ".py"
        if (root / rel).is_file():
            return rel
    return None
