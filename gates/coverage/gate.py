"""The coverage gate: the target's tests under pytest and coverage.py.

Figures (all at 2 decimal places, rounded as `coverage report --precision=2` rounds them):
- `line_coverage` is coverage's `totals.percent_covered`, the TOTAL `coverage report` prints.
  With `branch = true` in the project's coverage configuration it combines statements and
  branches ((covered statements + covered branches) / (statements + branches)), as coverage does.
- `branch_coverage` is covered branches / branches, only when branches were measured.
- `critical_coverage` is the lowest per-file figure (coverage's own per-file percent) of the
  files matching `critical_paths`. A Python file that matches but was never measured (the tests
  never imported it and it is outside coverage's `source`, or the project omits it) counts as 0%:
  an unmeasured critical file is not covered. Globs matching no file at all are an error, since
  nothing could be measured for them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path, PurePosixPath

from auditor.cache import CacheSpec
from auditor.errors import ConfigError, GateError
from auditor.exclude import excluded_details
from auditor.model import ConditionSpec, Finding, Measurement, OptionSpec, Population
from auditor.plugin import GateConfig, GateContext, GateView
from gates.coverage import new_lines, reuse
from gates.coverage.details import CoverageDetails, FileRow, SuiteOutcomes, Totals
from gates.coverage.parse import PRECISION, CoverageTotals, FileCoverage, SuiteCounts, case_file
from gates.coverage.run import SuiteRun, Toolchain, probe, run_suite
from gates.coverage.view import CoverageReportView

TESTS = "tests"
"""The population every condition is judged over: the tests executed (with reused coverage
data and no JUnit results, the lines the data saw run)."""
LINE_FIGURE = "totals.percent_covered: the TOTAL of `coverage report`"
LINE_FIGURE_BRANCH = LINE_FIGURE + " (statements and branches combined, as branch = true)"
MESSAGE_LIMIT = 300
TEST_RULES = ("test-failed", "test-error")


def critical_candidates(root: Path, globs: list[str]) -> set[str]:
    """Files under the root matching the critical globs, relative with forward slashes.

    Globs follow pathlib (`*` within one directory, `**` any depth); a matched directory
    stands for every file below it.
    """
    hits: set[str] = set()
    for pattern in globs:
        for path in root.glob(pattern):
            below = path.rglob("*") if path.is_dir() else [path]
            hits.update(p.relative_to(root).as_posix() for p in below if p.is_file())
    return hits


def split_critical(candidates: set[str], measured: set[str]) -> tuple[set[str], set[str]]:
    """Critical files that were measured, and Python files that match but were not.

    Hidden directories and installed packages never count as unmeasured critical files.
    """
    unmeasured = {
        rel
        for rel in candidates - measured
        if rel.endswith(".py")
        and not any(part.startswith(".") or part == "site-packages" for part in rel.split("/"))
    }
    return candidates & measured, unmeasured


def _file_row(f: FileCoverage, critical: bool) -> FileRow:
    return FileRow(
        path=f.path,
        statements=f.statements,
        missing=f.missing,
        percent=f.percent,
        missing_lines=f.missing_lines,
        critical=critical,
        measured=True,
        branches=f.branches,
        missing_branches=f.missing_branches,
    )


def _unmeasured_row(path: str) -> FileRow:
    return FileRow(
        path=path, statements=0, missing=0, percent=0.0, missing_lines="", critical=True,
        measured=False,
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


def finding_values(findings: Sequence[Finding]) -> dict[str, float]:
    """`tests_failed`: the failing and erroring tests among FINDINGS."""
    return {"tests_failed": float(sum(f.rule in TEST_RULES for f in findings))}


def _critical_findings(files: list[FileCoverage], unmeasured: set[str]) -> list[Finding]:
    findings = [
        Finding(
            path=f.path,
            line=f.first_missing,
            rule="critical-uncovered",
            severity="critical",
            message=(
                f"critical file is {f.percent:.{PRECISION}f}% covered"
                + (f"; missing lines {f.missing_lines}" if f.missing_lines else "")
            ),
        )
        for f in files
        if f.percent < 100
    ]
    findings.extend(
        Finding(
            path=path,
            line=None,
            rule="critical-unmeasured",
            severity="critical",
            message="critical file was never measured: the tests do not import it "
            "or the coverage configuration leaves it out",
        )
        for path in sorted(unmeasured)
    )
    return findings


def _totals(cov: CoverageTotals) -> Totals:
    totals = Totals(
        percent=cov.percent,
        percent_display=cov.display,
        statements=cov.statements,
        missing=cov.missing,
        statement_percent=cov.statement_percent,
    )
    if cov.branch:
        totals = replace(
            totals,
            branches=cov.branches,
            missing_branches=cov.missing_branches,
            branch_percent=cov.branch_percent,
        )
    return totals


def executed(counts: SuiteCounts) -> int:
    """Tests that ran: every outcome but skipped (pytest's xpassed are among JUnit's passed).
    A suite whose every test was skipped or deselected executed none, and proves nothing."""
    return counts.passed + counts.failed + counts.errors + counts.xfailed


def _population(run: SuiteRun, counted: bool) -> Population:
    if counted:
        return Population("tests executed", executed(run.counts))
    return Population("lines run, by the reused coverage data (no JUnit results to count the "
                      "tests)", run.coverage.statements - run.coverage.missing)


def run_warnings(run: SuiteRun) -> list[str]:
    """What coverage.py and pytest warned about while the gate still measured.

    `module-not-imported` (a `source` entry no test imported) stays a warning: coverage's
    figure is its own figure for what it did measure, as `coverage report` prints it. pytest's
    warnings never change an outcome. `no-data-collected` is an error only when nothing at all
    was covered (`build_measurement`).
    """
    lines = [f"coverage.py: {w.message} ({w.slug})" for w in run.coverage_warnings]
    if run.pytest_warnings:
        plural = "s" if run.pytest_warnings != 1 else ""
        first = f"; first: {run.pytest_warning_samples[0]}" if run.pytest_warning_samples else ""
        lines.append(
            f"pytest: {run.pytest_warnings} warning{plural} in the warnings summary{first}"
        )
    return lines


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
    if cov.statements == 0:
        raise GateError(
            "coverage measured no statements: the measured files are empty; check the "
            "project's coverage `source`, `include` and `omit`",
            details={"log_tail": run.log_tail},
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
            details={"log_tail": run.log_tail},
        )
    globs = ctx.config.option_list("critical_paths")
    measured = {f.path for f in cov.files}
    critical, unmeasured = split_critical(candidates, measured)
    if globs and not critical and not unmeasured:
        raise GateError(
            f"`critical_paths` ({', '.join(globs)}) match no measured file and no Python file "
            f"under {ctx.root}; fix the globs (relative to the target root) or remove them"
        )
    critical_files = [f for f in cov.files if f.path in critical]
    critical_value: float | None = None
    if globs:
        critical_value = 0.0 if unmeasured else min(f.percent for f in critical_files)
    files = [_file_row(f, f.path in critical) for f in cov.files]
    files.extend(_unmeasured_row(p) for p in sorted(unmeasured))
    counts = run.counts
    details = CoverageDetails(
        interpreter=str(ctx.python),
        python_version=toolchain.python_version if toolchain else "",
        command=" ".join(command),
        tests=SuiteOutcomes.from_dict(counts.to_dict()),
        pytest_exit_code=run.exit_code,
        pytest_args_added=tuple(toolchain.pytest_args() if toolchain else ()),
        branch=cov.branch,
        line_coverage_figure=LINE_FIGURE_BRANCH if cov.branch else LINE_FIGURE,
        totals=_totals(cov),
        files=tuple(files),
        measured_files=tuple(sorted(measured)),
        skipped_files=tuple(run.skipped_files),
        critical_paths=tuple(globs),
        critical_unmeasured=tuple(sorted(unmeasured)),
        combined_data_files=run.combined,
        precision=PRECISION,
    )
    versions = [f"coverage {run.coverage_version}".strip()]
    if toolchain:
        versions.insert(0, f"pytest {toolchain.pytest_version}")
    findings = _test_findings(counts, ctx.root) + _critical_findings(critical_files, unmeasured)
    values = {
        **finding_values(findings),
        "line_coverage": cov.percent,
    }
    skipped: dict[str, str] = {}
    new_code: dict[str, object] = {}
    if ctx.new_code is None:
        skipped["new_line_coverage"] = "judged only with --new-code REF (or `new_code` in config)"
    else:
        changed = new_lines.measure(cov.files, ctx.new_code)
        new_code["new_code"] = changed.to_dict(ctx.new_code)
        if changed.percent is None:
            skipped["new_line_coverage"] = (
                f"the change since {ctx.new_code.ref} has no executable line coverage measured"
            )
        else:
            values["new_line_coverage"] = changed.percent
    if critical_value is None:
        skipped["critical_coverage"] = "no `critical_paths` configured"
    else:
        values["critical_coverage"] = critical_value
    if cov.branch_percent is None:
        skipped["branch_coverage"] = (
            "the project does not measure branches (`branch = true` in its coverage configuration)"
        )
    else:
        values["branch_coverage"] = cov.branch_percent
    return Measurement(
        values=values,
        skipped=skipped,
        populations={TESTS: _population(run, counted)},
        warnings=run_warnings(run),
        findings=findings,
        details={
            **details.to_dict(), **excluded_details(ctx.exclude, run.excluded_files), **new_code
        },
        tool_name="pytest + coverage.py",
        tool_version=", ".join(versions),
    )


class CoverageGate:
    view: GateView | None = CoverageReportView()
    id = "coverage"
    title = "Tests and coverage"
    tool = "pytest + coverage.py"
    runs_alone = False
    default_timeout = 900.0
    # The tests may read any file: every tracked and untracked, not ignored, file counts; so do
    # reused data and JUnit files wherever they lie.
    cache = CacheSpec(files=None, interpreter=True, inputs=reuse.inputs)
    conditions: tuple[ConditionSpec, ...] = (
        ConditionSpec("tests_failed", "Failing tests", "", "<=", 0, "count",
                      "tests that failed or errored", population=TESTS),
        ConditionSpec("line_coverage", "Line coverage", "%", ">=", 80, "percent",
                      "coverage.py total for the measured files, as `coverage report` prints it "
                      "(with branch = true: statements and branches combined)",
                      population=TESTS),
        ConditionSpec("critical_coverage", "Critical path coverage", "%", ">=", 100, "percent",
                      "lowest coverage of any file matching `critical_paths`", population=TESTS),
        ConditionSpec("branch_coverage", "Branch coverage", "%", ">=", 80, "percent",
                      "covered branches of all branches, when the project measures branches",
                      blocking=False, population=TESTS),
        ConditionSpec("new_line_coverage", "New line coverage", "%", ">=", 80, "percent",
                      "covered changed executable lines of all changed executable lines "
                      "(with --new-code)", ratchets=False, population=TESTS),
    )
    options: tuple[OptionSpec, ...] = (
        OptionSpec("critical_paths", "str_list", [],
                   "globs relative to the target root that must be fully covered"),
        OptionSpec("pytest_args", "str_list", [],
                   "extra arguments for pytest, e.g. [\"-m\", \"not slow\"]"),
        OptionSpec("coverage_command", "str_list", [],
                   "the command that runs coverage.py; default: the target's interpreter "
                   "with `-m coverage`"),
        OptionSpec(reuse.DATA_OPTION, "str_list", [],
                   "coverage.py data files an earlier step wrote, reused instead of running "
                   "the suite (globs relative to the target root; shards are combined with the "
                   "project's [paths]); --coverage-data replaces it"),
        OptionSpec(reuse.JUNIT_OPTION, "str_list", [],
                   "JUnit XML files of the run that wrote `data`, for the test counts (globs); "
                   "--junit replaces it"),
    )

    def skip_reason(self, config: GateConfig) -> str | None:
        return None

    def finding_values(self, findings: Sequence[Finding], config: GateConfig) -> dict[str, float]:
        return finding_values(findings)

    def validate(self, config: GateConfig) -> None:
        for pattern in config.option_list("critical_paths"):
            where = f"`{pattern}` in `critical_paths` of [tool.audit.coverage]"
            posix = PurePosixPath(pattern.replace("\\", "/"))
            if not pattern.strip():
                raise ConfigError("an empty glob in `critical_paths` of [tool.audit.coverage] "
                                  "matches nothing; remove it")
            if posix.is_absolute() or ".." in posix.parts:
                raise ConfigError(f"{where} must be relative to the target root, inside it")

    def measure(self, ctx: GateContext) -> Measurement:
        globs = ctx.config.option_list("critical_paths")
        candidates = critical_candidates(ctx.root, globs)
        if globs and not candidates:
            # Checked before the suite runs: a measured file is always a file under the root.
            raise GateError(
                f"`critical_paths` ({', '.join(globs)}) match no file under {ctx.root}; "
                "fix the globs (relative to the target root) or remove them"
            )
        command = ctx.config.option_list("coverage_command")
        if reuse.requested(ctx.config):
            command = command or [str(ctx.python), "-m", "coverage"]
            reused, has_junit = reuse.reused_run(ctx, command)
            measurement = build_measurement(ctx, reused, None, command, candidates, has_junit)
            return reuse.adjust(ctx, measurement, has_junit)
        toolchain: Toolchain | None = None
        if not command:
            ctx.progress("checking the target's interpreter")
            toolchain = probe(ctx)
            command = [str(ctx.python), "-m", "coverage"]
        run = run_suite(ctx, command, ctx.config.option_list("pytest_args"), toolchain)
        return build_measurement(ctx, run, toolchain, command, candidates)
