"""Runs the target's tests with pytest under coverage.py, in the target's interpreter.

Every data file goes to the gate's work directory: COVERAGE_FILE, pytest's JUnit report,
Hypothesis's example database (TEST_RUN_CACHES); pytest's cache plugin is off. The test run
writes no bytecode (PYTHONDONTWRITEBYTECODE) and sets no PYTHONPYCACHEPREFIX: pytest and the
installed packages load from the bytecode pip compiled when it installed them, as a test run by
hand does; a prefix would hide that bytecode and compile them all again (measured on jinja2's
suite: 7.9 s of CPU with an empty prefix, 7.2 s with a filled one, 6.1 s without any).
The target's own pytest and coverage configuration applies because both run with the target
root as working directory.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import msgspec

from auditor.errors import GateError
from auditor.plugin import GateContext
from auditor.procs import ProcResult
from gates.coverage import recording
from gates.coverage.json_report import NothingKeptError, write_report
from gates.coverage.outcomes import OUTCOMES_PLUGIN, PluginCounts, parse_outcomes, plugin_env
from gates.coverage.parse import (
    CoverageTotals,
    CoverageWarning,
    SuiteCounts,
    coverage_totals,
    coverage_warnings,
    parse_junit,
    relative_path,
    with_xpassed,
)
from gates.coverage.parse import skipped_files as parse_skipped
from gates.coverage.pytest_failure import PYTEST_ERRORS, explain
from gates.service import env_table
from gates.tools import check_exit, tool_failed

# pytest's exit codes (https://docs.pytest.org/en/stable/reference/exit-codes.html).
# 0 and 1 mean the suite ran: 1 is failing tests, which the gate measures, not an error.
PYTEST_RAN = (0, 1)
# Caches that libraries used by test suites write into the working directory by default, and
# the variable that moves each one (to a directory of that name in the work directory).
# Anything else a suite writes into the target is found by the audit's tree check.
TEST_RUN_CACHES = {"HYPOTHESIS_STORAGE_DIRECTORY": "hypothesis"}
# `coverage combine`: 0 = combined; 1 = error, e.g. "No data to combine".
COMBINE_OK = (0,)

# Versions from the installed distributions' metadata: importing pytest to ask it costs more
# than half a second before the tests start; a broken install still fails the test run itself.
_PROBE = """\
import importlib.util, json, sys
from importlib import metadata
found = {"python": sys.version.split()[0]}
for name in ("pytest", "coverage"):
    try:
        found[name] = metadata.version(name) if importlib.util.find_spec(name) else None
    except metadata.PackageNotFoundError:
        found[name] = str(getattr(__import__(name), "__version__", "unknown"))
    except Exception:
        found[name] = None
for plugin in ("pytest_cov", "xdist"):
    found[plugin] = importlib.util.find_spec(plugin) is not None
print(json.dumps(found))
"""


class Probed(msgspec.Struct, frozen=True):
    """What _PROBE prints: every key, always; a tool's version is null when it is missing."""

    python: str
    pytest: str | None
    coverage: str | None
    pytest_cov: bool
    xdist: bool


@dataclass(frozen=True)
class Toolchain:
    """What the target's interpreter has installed."""

    python_version: str
    pytest_version: str
    pytest_cov: bool
    """pytest-cov is installed: its own measurement is turned off with `--no-cov`."""
    xdist: bool
    """pytest-xdist is installed: `-n 0` keeps the tests in the process coverage measures."""

    def pytest_args(self) -> list[str]:
        """Arguments that keep the installed plugins from measuring, or hiding, the run."""
        return (["--no-cov"] if self.pytest_cov else []) + (["-n", "0"] if self.xdist else [])


@dataclass(frozen=True)
class SuiteRun:
    """A measured test run."""

    exit_code: int
    counts: SuiteCounts
    coverage: CoverageTotals
    coverage_version: str
    skipped_files: list[str]
    combined: int
    """How many parallel data files were combined."""
    coverage_warnings: list[CoverageWarning] = field(default_factory=list)
    """What coverage.py warned about while it measured and reported."""
    pytest_warnings: int = 0
    """The count of pytest's warnings summary."""
    pytest_warning_samples: list[str] = field(default_factory=list)
    excluded_files: tuple[str, ...] = ()
    """Measured files `[tool.audit] exclude` left out of the report."""
    log_tail: str = ""
    """The test run's command and output tail, kept when the gate errors after it ran."""


def tool_env(ctx: GateContext, *, runs_target: bool) -> dict[str, str]:
    """The environment of a child: coverage data in the work directory, no bytecode written.

    Every child reads the bytecode already installed and writes none: nothing lands in the
    target's tree, its tests' folders or a virtual environment inside it.
    """
    extra = {"COVERAGE_FILE": str(ctx.workdir / ".coverage")}
    if runs_target:
        # The project's own variables first: the auditor's own (coverage data, caches) win.
        extra = {**env_table(ctx.config.option_table("env"), "[tool.audit.coverage]"), **extra}
        extra.update(
            (variable, str(ctx.workdir / name)) for variable, name in TEST_RUN_CACHES.items()
        )
    extra["PYTHONDONTWRITEBYTECODE"] = "1"
    return ctx.env(extra)


def _fix_hint(python: Path) -> str:
    return (
        f"install them into that environment (`{python} -m pip install pytest coverage`) "
        "or point --python (or `python` in [tool.audit]) at the interpreter that runs the tests"
    )


def read_probe(stdout: str, python: Path) -> Probed:
    """What _PROBE printed (its last line); anything else is a GateError naming the field."""
    lines = stdout.strip().splitlines()
    try:
        return msgspec.json.decode(lines[-1] if lines else "", type=Probed)
    except msgspec.DecodeError as exc:
        raise GateError(
            f"the target's interpreter {python} gave an unreadable version check: {exc}"
        ) from None


def probe(ctx: GateContext) -> Toolchain:
    """Check that the target's interpreter runs and has pytest and coverage."""
    # The work directory as cwd keeps a module of the target named like a tool out of the way.
    result = ctx.run(
        [str(ctx.python), "-c", _PROBE], cwd=ctx.workdir, env=tool_env(ctx, runs_target=False)
    )
    check_exit(f"the target's interpreter {ctx.python}", result, (0,))
    try:
        found = read_probe(result.stdout, ctx.python)
    except GateError as exc:
        raise GateError(str(exc), log_tail=result.describe(tail_lines=40)) from None
    versions = {"pytest": found.pytest, "coverage": found.coverage}
    missing = [name for name, version in versions.items() if version is None]
    if found.pytest is None or found.coverage is None:
        raise GateError(
            f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not installed in "
            f"the target's interpreter {ctx.python}; " + _fix_hint(ctx.python)
        )
    return Toolchain(
        python_version=found.python,
        pytest_version=found.pytest,
        pytest_cov=found.pytest_cov,
        xdist=found.xdist,
    )


def _read_plugin(outcomes: Path, result: ProcResult, root: Path) -> PluginCounts:
    """What the plugin counted; a run that did not load it is an error, since xpassed tests
    would then count as passed and warnings go unseen."""
    try:
        raw = outcomes.read_bytes()
    except OSError:
        raise tool_failed(
            "pytest ran but did not load the auditor's outcome counter (`-p "
            f"{OUTCOMES_PLUGIN}`), so xpassed tests cannot be told from passed ones",
            result,
        ) from None
    try:
        return parse_outcomes(raw, root)
    except GateError as exc:
        raise GateError(str(exc), log_tail=result.describe(tail_lines=40)) from None


def _check_pytest(result: ProcResult, counts: SuiteCounts | None, root: Path) -> SuiteCounts:
    code = result.returncode
    if code not in PYTEST_RAN:
        why = explain(code, result.stdout, result.stderr, root)
        raise tool_failed(why.what, result, quote=why.quote)
    if counts is None:
        raise tool_failed("pytest wrote no readable JUnit report", result)
    if counts.collected == 0:
        raise tool_failed(f"pytest {PYTEST_ERRORS[5]}", result)
    if code == 1 and counts.failed + counts.errors == 0:
        # Exit 1 with no failing test is coverage (or a plugin) failing, not the suite.
        raise tool_failed(
            "the test run failed but its JUnit report lists no failing test", result
        )
    return counts


def _plugins(ctx: GateContext, env: dict[str, str], outcomes: Path) -> list[str]:
    """The auditor's pytest plugins for the run (the outcome counter, the route recorder), their
    variables set in ENV."""
    plugin_dir = ctx.tool_cache("pytest-plugin")
    env.update(plugin_env(plugin_dir, env, outcomes))
    env.update(recording.recorder_env(ctx, plugin_dir))
    return ["-p", OUTCOMES_PLUGIN, "-p", recording.RECORDER_PLUGIN]


def run_suite(
    ctx: GateContext,
    coverage_cmd: Sequence[str],
    pytest_args: Sequence[str],
    toolchain: Toolchain | None,
) -> SuiteRun:
    """Run the suite under coverage, combine parallel data, and read the JSON report."""
    env = tool_env(ctx, runs_target=True)
    junit = ctx.workdir / "junit.xml"
    outcomes = ctx.workdir / "outcomes.json"
    plugins = _plugins(ctx, env, outcomes)
    extra = toolchain.pytest_args() if toolchain is not None else []
    ctx.progress("running the tests under coverage")
    command = ["run", "-m", "pytest", "-p", "no:cacheprovider", *plugins, f"--junitxml={junit}"]
    result = ctx.run([*coverage_cmd, *command, *extra, *pytest_args], env=env)
    try:
        counts: SuiteCounts | None = parse_junit(junit)
    except GateError:
        counts = None
    counts = _check_pytest(result, counts, ctx.root)
    plugin = _read_plugin(outcomes, result, ctx.root)
    counts = with_xpassed(counts, plugin.xpassed)
    return measured_run(ctx, coverage_cmd, result, counts, pytest_warnings=plugin.warnings,
                        pytest_warning_samples=plugin.samples)


def measured_run(ctx: GateContext, coverage_cmd: Sequence[str], result: ProcResult,
                 counts: SuiteCounts, *, pytest_warnings: int = 0,
                 pytest_warning_samples: list[str] | None = None) -> SuiteRun:
    """The test run (RESULT, COUNTS) with its coverage: parallel data files combined, the JSON
    report read. Whichever runner ran the tests, their data is read this one way."""
    tools_env = tool_env(ctx, runs_target=False)
    data_file = ctx.workdir / ".coverage"
    parallel = sorted(data_file.parent.glob(data_file.name + ".*"))
    if parallel:
        ctx.progress("combining coverage data")
        append = ["--append"] if data_file.exists() else []
        combine = ctx.run([*coverage_cmd, "combine", *append], env=tools_env)
        check_exit("`coverage combine`", combine, COMBINE_OK)
    if not data_file.exists():
        raise GateError(
            "coverage wrote no data file: the tests ran but nothing was measured; "
            "check the project's coverage configuration",
            log_tail=result.describe(tail_lines=40),
        )
    report = read_report(ctx, coverage_cmd, tools_env)
    return SuiteRun(
        exit_code=result.returncode,
        counts=counts,
        coverage=report.totals,
        coverage_version=report.version,
        skipped_files=report.skipped_files,
        combined=len(parallel),
        coverage_warnings=coverage_warnings(result.stderr + "\n" + report.coverage_stderr),
        pytest_warnings=pytest_warnings,
        pytest_warning_samples=pytest_warning_samples or [],
        excluded_files=report.excluded_files,
        log_tail=result.describe(tail_lines=40),
    )


@dataclass(frozen=True)
class Report:
    """What coverage's JSON report of the data file in the work directory says."""

    totals: CoverageTotals
    version: str
    skipped_files: list[str]
    coverage_stderr: str
    """What `coverage json` wrote to stderr: its warnings."""
    excluded_files: tuple[str, ...]
    """Measured files `[tool.audit] exclude` left out of the report."""


def read_report(
    ctx: GateContext, coverage_cmd: Sequence[str], tools_env: dict[str, str]
) -> Report:
    """Write coverage's JSON report of the work directory's data file and read it."""
    ctx.progress("reading coverage")
    # The auditor's own pytest plugin runs from its directory in the tool cache (and anything
    # else of the gate from the work directory): a project that measures every file it runs
    # (no coverage `source`) measures it too, though it is not the project's.
    own_dirs = tuple(d.resolve() for d in (ctx.workdir, ctx.tool_cache("pytest-plugin")))
    excluded: list[str] = []

    def keep(path: str) -> bool:
        if any(Path(path).resolve().is_relative_to(d) for d in own_dirs):
            return False
        if ctx.exclude.excludes(relative_path(path, ctx.root)):
            excluded.append(relative_path(path, ctx.root))
            return False
        return True

    try:
        written = write_report(ctx, coverage_cmd, tools_env, keep)
    except NothingKeptError:
        if excluded:
            raise GateError(
                f"`exclude` in [tool.audit] leaves out every file coverage measured "
                f"({len(excluded)} files); narrow its globs"
            ) from None
        raise
    totals = coverage_totals(written.report, ctx.root)
    if not totals.files:
        raise GateError(
            "coverage's JSON report lists no measured file",
            log_tail=written.result.describe(tail_lines=40),
        )
    return Report(
        totals=totals,
        version=written.report.meta.version,
        skipped_files=parse_skipped(written.stderr, ctx.root),
        coverage_stderr=written.stderr,
        excluded_files=tuple(sorted(excluded)),
    )


