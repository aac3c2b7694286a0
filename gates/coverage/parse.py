"""Pure readers of what pytest and coverage.py write: the JUnit XML and coverage's JSON report.

Nothing here runs a process, so each function is tested on real saved outputs. The only XML
read is the JUnit report our own child process wrote into the gate's private directory.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # nosec B405
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

from auditor.errors import GateError

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
    failures: tuple[FailedTest, ...] = ()
    xfailed: int = 0
    """Expected failures (`xfail` tests that failed), as pytest's summary counts them."""
    xpassed: int = 0
    """`xfail` tests that passed (not strict); counted among `passed` by the JUnit report."""


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
    branches: int
    missing_branches: int
    branch_percent: float | None
    """None unless branch coverage was measured and there is at least one branch."""
    files: list[FileCoverage] = field(default_factory=list)
    display: str = ""
    """The total as the project's own `[report] precision` shows it."""


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


def _arcs(data: Mapping[str, object]) -> list[tuple[int, int]]:
    value = data.get("missing_branches", [])
    if not isinstance(value, list):
        raise GateError("coverage's JSON report has no list `missing_branches`")
    arcs: list[tuple[int, int]] = []
    for pair in value:
        ok = isinstance(pair, list) and len(pair) == 2 and all(isinstance(v, int) for v in pair)
        if not ok:
            raise GateError("coverage's JSON report has a malformed entry in `missing_branches`")
        arcs.append((int(pair[0]), int(pair[1])))
    return arcs


def parse_junit(path: Path) -> SuiteCounts:
    """Count test outcomes in pytest's JUnit XML: every test case counts once.

    A case with a failure counts as failed, one with an error (and no failure) as an error,
    one with only a skip as skipped (or as xfailed when pytest marks the skip `pytest.xfail`),
    and every other case as passed. pytest writes an xpassed test as a plain pass: the
    caller moves those from `passed` to `xpassed` (`with_xpassed`).
    """
    try:
        tree = ET.parse(path)  # noqa: S314  # nosec B314
    except FileNotFoundError:
        raise GateError(f"pytest wrote no JUnit report ({path.name})") from None
    except (ET.ParseError, OSError) as exc:
        raise GateError(f"pytest's JUnit report could not be read: {exc}") from None
    passed = failed = errors = skipped = xfailed = 0
    failures: list[FailedTest] = []
    for case in tree.getroot().iter("testcase"):
        failure = case.find("failure")
        error = case.find("error")
        bad = failure if failure is not None else error
        if bad is not None:
            if failure is not None:
                failed += 1
            else:
                errors += 1
            failures.append(
                FailedTest(
                    classname=case.get("classname", ""),
                    name=case.get("name", ""),
                    kind=bad.tag,
                    message=(bad.get("message") or "").strip(),
                )
            )
        elif (skip := case.find("skipped")) is not None:
            if skip.get("type") == "pytest.xfail":
                xfailed += 1
            else:
                skipped += 1
        else:
            passed += 1
    return SuiteCounts(
        collected=passed + failed + errors + skipped + xfailed,
        passed=passed,
        failed=failed,
        errors=errors,
        skipped=skipped,
        failures=tuple(failures),
        xfailed=xfailed,
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


def _int(summary: Mapping[str, object], key: str) -> int:
    value = summary.get(key, 0)
    if isinstance(value, bool) or not isinstance(value, int):
        raise GateError(f"coverage's JSON report has no whole number `{key}`")
    return value


def _num(summary: Mapping[str, object], key: str) -> float:
    value = summary.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise GateError(f"coverage's JSON report has no number `{key}`")
    return float(value)


def _percent(covered: int, total: int) -> float:
    return 100.0 * covered / total if total else 100.0


def _lines(data: Mapping[str, object], key: str) -> list[int]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, int) for v in value):
        raise GateError(f"coverage's JSON report has no list of line numbers `{key}`")
    return [int(v) for v in value]


def _mapping(value: object, what: str) -> Mapping[str, object]:
    if not isinstance(value, dict):
        raise GateError(f"coverage's JSON report has no object `{what}`")
    return value


def _file(path: str, data: Mapping[str, object], branch: bool) -> FileCoverage:
    summary = _mapping(data.get("summary"), "summary")
    executed = _lines(data, "executed_lines")
    missing = _lines(data, "missing_lines")
    return FileCoverage(
        path=path,
        statements=_int(summary, "num_statements"),
        missing=_int(summary, "missing_lines"),
        percent=display_percent(_num(summary, "percent_covered")),
        missing_lines=format_lines(executed + missing, missing, _arcs(data) if branch else ()),
        first_missing=min(missing) if missing else None,
        branches=_int(summary, "num_branches") if branch else None,
        missing_branches=_int(summary, "missing_branches") if branch else None,
        executed=frozenset(executed),
        unexecuted=frozenset(missing),
    )


def parse_coverage_json(data: object, root: Path) -> CoverageTotals:
    """Read coverage's JSON report (format 2 or 3, coverage 5.0 and later)."""
    report = _mapping(data, "the report")
    meta = _mapping(report.get("meta", {}), "meta")
    branch = meta.get("branch_coverage") is True
    totals = _mapping(report.get("totals"), "totals")
    files = _mapping(report.get("files"), "files")
    statements = _int(totals, "num_statements")
    missing = _int(totals, "missing_lines")
    branches = _int(totals, "num_branches") if branch else 0
    missing_branches = _int(totals, "missing_branches") if branch else 0
    display = totals.get("percent_covered_display")
    return CoverageTotals(
        percent=display_percent(_num(totals, "percent_covered")),
        statements=statements,
        missing=missing,
        statement_percent=display_percent(_percent(statements - missing, statements)),
        branch=branch,
        branches=branches,
        missing_branches=missing_branches,
        branch_percent=(
            display_percent(_percent(branches - missing_branches, branches))
            if branch and branches
            else None
        ),
        files=sorted(
            (
                _file(relative_path(name, root), _mapping(entry, name), branch)
                for name, entry in files.items()
            ),
            key=lambda f: f.path,
        ),
        display=display if isinstance(display, str) else "",
    )


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
