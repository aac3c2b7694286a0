"""A measured test run turned into the coverage gate's values, findings and details."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import msgspec

from auditor.errors import GateError
from auditor.exclude import excluded_files
from auditor.model import Finding, Measurement, Population
from auditor.plugin import GateContext
from gates.coverage import new_lines
from gates.coverage.critical import CriticalFiles, select_critical
from gates.coverage.details import (
    CoverageDetails,
    FileRow,
    NewLineCoverage,
    SuiteOutcomes,
    Totals,
)
from gates.coverage.parse import PRECISION, CoverageTotals, FileCoverage, SuiteCounts, case_file
from gates.coverage.run import SuiteRun, Toolchain

TESTS = "tests"
"""The population every condition is judged over: the tests executed (with reused coverage
data and no JUnit results, the lines the data saw run)."""
LINE_FIGURE = "totals.percent_covered: the TOTAL of `coverage report`"
LINE_FIGURE_BRANCH = LINE_FIGURE + " (statements and branches combined, as branch = true)"
MESSAGE_LIMIT = 300
TEST_RULES = ("test-failed", "test-error")


def finding_values(findings: Sequence[Finding]) -> dict[str, float]:
    """`tests_failed`: the failing and erroring tests among FINDINGS."""
    return {"tests_failed": float(sum(f.rule in TEST_RULES for f in findings))}


def executed(counts: SuiteCounts) -> int:
    """Tests that ran: every outcome but skipped (pytest's xpassed are among JUnit's passed).
    A suite whose every test was skipped or deselected executed none, and proves nothing."""
    return counts.passed + counts.failed + counts.errors + counts.xfailed


def run_warnings(run: SuiteRun) -> list[str]:
    """What coverage.py and pytest warned about while the gate still measured.

    `module-not-imported` (a `source` entry no test imported) stays a warning: coverage's
    figure is its own figure for what it did measure, as `coverage report` prints it. pytest's
    warnings never change an outcome. `no-data-collected` is an error only when nothing at all
    was covered (`_check_measured`).
    """
    lines = [f"coverage.py: {w.message} ({w.slug})" for w in run.coverage_warnings]
    if run.pytest_warnings:
        plural = "s" if run.pytest_warnings != 1 else ""
        first = f"; first: {run.pytest_warning_samples[0]}" if run.pytest_warning_samples else ""
        lines.append(
            f"pytest: {run.pytest_warnings} warning{plural} in the warnings summary{first}"
        )
    return lines


@dataclass(frozen=True)
class SometimesMeasured:
    """A condition the gate measures only in some runs: its value, or why it has none."""

    value: float | None
    reason_skipped: str


def build_measurement(
    ctx: GateContext,
    run: SuiteRun,
    toolchain: Toolchain | None,
    command: list[str],
    candidates: set[str],
    counted: bool = True,
) -> Measurement:
    """Turn a measured run into the gate's values, findings and details; COUNTED is False for
    reused coverage data without JUnit results, which cannot say how many tests ran."""
    cov = run.coverage
    _check_measured(run)
    critical = select_critical(
        ctx.config.option_list("critical_paths"), candidates, cov.files, ctx.root
    )
    findings = _test_findings(run.counts, ctx.root) + critical.findings()
    sometimes, new_code = _sometimes_measured(ctx, cov, critical)
    details = msgspec.structs.replace(
        _details(ctx, run, toolchain, command, critical),
        exclusion=excluded_files(ctx.exclude, run.excluded_files),
        new_code=new_code,
    )
    return Measurement(
        values={
            **finding_values(findings),
            "line_coverage": cov.percent,
            **{k: c.value for k, c in sometimes.items() if c.value is not None},
        },
        skipped={k: c.reason_skipped for k, c in sometimes.items() if c.value is None},
        populations={TESTS: _population(run, counted)},
        warnings=run_warnings(run),
        findings=findings,
        details=details,
        tool_name="pytest + coverage.py",
        tool_version=_tool_version(run, toolchain),
    )


def _check_measured(run: SuiteRun) -> None:
    """Raise when coverage's figure measures nothing: no statement, or no data collected."""
    cov = run.coverage
    if cov.statements == 0:
        raise GateError(
            "coverage measured no statements: the measured files are empty; check the "
            "project's coverage `source`, `include` and `omit`",
            log_tail=run.log_tail or None,
        )
    if cov.statements == cov.missing and any(
        w.slug == "no-data-collected" for w in run.coverage_warnings
    ):
        # coverage says it saw no code run, and every measured line is missing: the 0% comes
        # from no data (tests run in subprocesses coverage does not follow, a `source` naming
        # the wrong package), not from tests that cover nothing. With any line covered the
        # warning came from some other process of the run and the figure stands.
        raise GateError(
            "coverage collected no data while the tests ran (\"No data was collected\"), so "
            "its 0% measures nothing; check the project's coverage `source` and whether the "
            "tests run the code in subprocesses",
            log_tail=run.log_tail or None,
        )


def _test_findings(counts: SuiteCounts, root: Path) -> list[Finding]:
    findings = []
    for test in counts.failures:
        name = f"{test.classname}::{test.name}" if test.classname else test.name
        message = f"{name} {'failed' if test.kind == 'failure' else 'errored'}"
        if test.message:
            message += f": {test.message}"[:MESSAGE_LIMIT]
        findings.append(
            Finding(
                path=case_file(test.classname, root) or test.classname.replace(".", "/"),
                line=None,
                rule="test-failed" if test.kind == "failure" else "test-error",
                severity="critical",
                message=message,
                baselinable=False,
            )
        )
    return findings


def _sometimes_measured(
    ctx: GateContext, cov: CoverageTotals, critical: CriticalFiles
) -> tuple[dict[str, SometimesMeasured], NewLineCoverage | None]:
    """The conditions not every run measures, and the `new_code` details."""
    new_line, new_code = _new_line_coverage(ctx, cov.files)
    sometimes = {
        "new_line_coverage": new_line,
        "critical_coverage": SometimesMeasured(
            critical.coverage(), "no `critical_paths` configured"
        ),
        "branch_coverage": SometimesMeasured(
            cov.branch_percent,
            "the project does not measure branches (`branch = true` in its coverage "
            "configuration)",
        ),
    }
    return sometimes, new_code


def _new_line_coverage(
    ctx: GateContext, files: Sequence[FileCoverage]
) -> tuple[SometimesMeasured, NewLineCoverage | None]:
    """`new_line_coverage` and the `new_code` details (none without --new-code)."""
    if ctx.new_code is None:
        return SometimesMeasured(
            None, "judged only with --new-code REF (or `new_code` in config)"
        ), None
    changed = new_lines.measure(files, ctx.new_code)
    figure = SometimesMeasured(
        changed.percent,
        f"the change since {ctx.new_code.ref} has no executable line coverage measured",
    )
    return figure, changed.details(ctx.new_code)


def _population(run: SuiteRun, counted: bool) -> Population:
    if counted:
        return Population("tests executed", executed(run.counts))
    return Population("lines run, by the reused coverage data (no JUnit results to count the "
                      "tests)", run.coverage.statements - run.coverage.missing)


def _tool_version(run: SuiteRun, toolchain: Toolchain | None) -> str:
    versions = [f"coverage {run.coverage_version}".strip()]
    if toolchain:
        versions.insert(0, f"pytest {toolchain.pytest_version}")
    return ", ".join(versions)


def _details(
    ctx: GateContext,
    run: SuiteRun,
    toolchain: Toolchain | None,
    command: list[str],
    critical: CriticalFiles,
) -> CoverageDetails:
    cov = run.coverage
    return CoverageDetails(
        interpreter=str(ctx.python),
        python_version=toolchain.python_version if toolchain else None,
        command=" ".join(command),
        tests=_outcomes(run.counts),
        pytest_exit_code=run.exit_code,
        pytest_args_added=tuple(toolchain.pytest_args() if toolchain else ()),
        branch=cov.branch,
        line_coverage_figure=LINE_FIGURE_BRANCH if cov.branch else LINE_FIGURE,
        totals=_totals(cov),
        files=_file_rows(cov.files, critical),
        measured_files=tuple(sorted({f.path for f in cov.files})),
        skipped_files=tuple(run.skipped_files),
        critical_paths=critical.globs,
        critical_unmeasured=tuple(sorted(critical.unmeasured)),
        combined_data_files=run.combined,
        precision=PRECISION,
    )


def _outcomes(counts: SuiteCounts) -> SuiteOutcomes:
    return SuiteOutcomes(
        collected=counts.collected,
        passed=counts.passed,
        failed=counts.failed,
        errors=counts.errors,
        skipped=counts.skipped,
        xfailed=counts.xfailed,
        xpassed=counts.xpassed,
    )


def _totals(cov: CoverageTotals) -> Totals:
    totals = Totals(
        percent=cov.percent,
        percent_display=cov.display,
        statements=cov.statements,
        missing=cov.missing,
        statement_percent=cov.statement_percent,
    )
    if cov.branch:
        totals = msgspec.structs.replace(
            totals,
            branches=cov.branches,
            missing_branches=cov.missing_branches,
            branch_percent=cov.branch_percent,
        )
    return totals


def _file_rows(files: Sequence[FileCoverage], critical: CriticalFiles) -> tuple[FileRow, ...]:
    """A row per measured file, then one per critical file coverage never measured."""
    critical_paths = critical.measured_paths
    measured = [
        FileRow(
            path=f.path,
            statements=f.statements,
            missing=f.missing,
            percent=f.percent,
            missing_lines=f.missing_lines,
            critical=f.path in critical_paths,
            measured=True,
            branches=f.branches,
            missing_branches=f.missing_branches,
        )
        for f in files
    ]
    unmeasured = [
        FileRow(
            path=path, statements=0, missing=0, percent=0.0, missing_lines="", critical=True,
            measured=False,
        )
        for path in sorted(critical.unmeasured)
    ]
    return (*measured, *unmeasured)
