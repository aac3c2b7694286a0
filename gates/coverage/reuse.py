"""Reusing coverage data and test results a CI job already produced, instead of running the suite.

The data files (one `.coverage`, or the `.coverage.*` shards of parallel jobs) are copied into
the gate's work directory and combined there by the target's own coverage.py
(`coverage combine`, with the project's `[paths]` remapping), so the figures are those
`coverage combine` + `coverage report` give on the same data, and the originals stay untouched.

Fail closed:
- a pattern matching no file, or a file coverage.py (or an XML parser) cannot read: a
  configuration error (exit 2) naming the file, found before any gate runs (`prepare`);
- data that measured none of the project's files, or that measured a project file which
  changed since (the tests ran on other code; `fresh` says how that is judged: by the lines the
  data saw run, by git, by modification time; a module imported from a zip or egg by its
  archive): the gate is an error;
- without JUnit results nothing proves the tests passed: `tests_failed` is an error, unless it
  is non-blocking, when it is skipped with that reason.
"""

from __future__ import annotations

import dataclasses
import functools
import glob
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import TypeVar

import msgspec

from auditor import procs
from auditor.errors import ConfigError, GateError
from auditor.model import Measurement
from auditor.plugin import GateConfig, GateContext
from gates.beside import Beside
from gates.coverage import fresh, json_report
from gates.coverage.details import Reused
from gates.coverage.parse import SuiteCounts, coverage_warnings, parse_junit
from gates.coverage.run import COMBINE_OK, SuiteRun, read_report, tool_env
from gates.tools import check_exit, tool_failed

DATA_OPTION = "data"
JUNIT_OPTION = "junit"
DATA_FLAG = "--coverage-data"
JUNIT_FLAG = "--junit"
"""The command-line options that replace `data` and `junit`."""
PROBE_TIMEOUT_S = 120.0
T = TypeVar("T")
NO_JUNIT = (
    "coverage data was reused without JUnit results (--junit), so nothing proves the tests "
    "passed"
)

# Run by the target's interpreter: which data files its coverage.py cannot read (argv: files).
# Without coverage.py it names none: the gate itself then reports coverage missing.
_READABLE = """\
import json, sys
bad = {}
try:
    from coverage import CoverageData
except Exception:
    paths = []
else:
    paths = sys.argv[1:]
for path in paths:
    try:
        data = CoverageData(basename=path)
        data.read()
        data.measured_files()
    except Exception as exc:
        bad[path] = f"{type(exc).__name__}: {exc}"
print(json.dumps({"unreadable": bad}))
"""


class _Readable(msgspec.Struct, frozen=True):
    """What _READABLE prints."""

    unreadable: dict[str, str]
    """The error of each data file coverage.py cannot read, by path."""


# Run by the target's interpreter: the files the combined data measured (argv: the data file).
_MEASURED = """\
import json, sys
from coverage import CoverageData
data = CoverageData(basename=sys.argv[1])
data.read()
print(json.dumps(sorted(data.measured_files())))
"""


def _answer(stdout: str, kind: type[T], what: str) -> T:
    """The JSON one of our probes printed as its last line, typed; anything else is a GateError
    naming WHAT and msgspec's message."""
    lines = stdout.strip().splitlines()
    try:
        return msgspec.json.decode(lines[-1] if lines else "", type=kind)
    except msgspec.DecodeError as exc:
        raise GateError(f"{what} printed no readable answer: {exc}") from None


def unreadable_files(stdout: str) -> dict[str, str]:
    """The data files _READABLE found coverage.py cannot read, with the error of each, from
    its output."""
    return _answer(stdout, _Readable, "the check of the coverage data files").unreadable


def measured_files(stdout: str) -> list[Path]:
    """The files the combined coverage data measured, from _MEASURED's output."""
    names = _answer(stdout, list[str], "the listing of the combined coverage data")
    return [Path(name) for name in names]


def inputs(config: GateConfig) -> list[str]:
    """The reused data and JUnit files (absolute once prepared), for the result cache's key."""
    return [*config.option_list(DATA_OPTION), *config.option_list(JUNIT_OPTION)]


def requested(config: GateConfig) -> bool:
    """Whether the gate reuses coverage data instead of running the suite."""
    return bool(config.option_list(DATA_OPTION))


def expand(patterns: Sequence[str], base: Path, what: str) -> list[str]:
    """The files the glob PATTERNS (relative to BASE) match, absolute and sorted; a pattern
    matching no file is a ConfigError naming it."""
    found: dict[str, None] = {}
    for pattern in patterns:
        full = pattern if Path(pattern).is_absolute() else str(base / pattern)
        # glob.glob, not Path.glob: a pattern may be absolute.
        hits = sorted(p for p in glob.glob(full, recursive=True) if Path(p).is_file())  # noqa: PTH207
        if not hits:
            raise ConfigError(
                f"{what} `{pattern}` matches no file (looked in {base}); give the path of the "
                "files an earlier step wrote"
            )
        found.update(dict.fromkeys(str(Path(p).resolve()) for p in hits))
    return list(found)


def _check_data_readable(python: Path, files: list[str], root: Path) -> None:
    """Raise ConfigError naming the first data file the target's coverage.py cannot read.

    When the target's interpreter does not run, or has no coverage.py, the gate itself reports
    that when it combines the data."""
    try:
        result = procs.run(
            [str(python), "-c", _READABLE, *files], cwd=root, timeout=PROBE_TIMEOUT_S
        )
    except GateError:
        return
    if result.returncode != 0:
        return
    try:
        bad = unreadable_files(result.stdout)
    except GateError as exc:
        raise ConfigError(f"{exc} (run by {python})") from None
    if bad:
        path, error = next(iter(bad.items()))
        raise ConfigError(
            f"coverage data file {path} cannot be read by coverage.py ({error}); give the data "
            "files `coverage run` wrote"
        )


def _check_junit_readable(files: list[str]) -> None:
    for path in files:
        try:
            parse_junit(Path(path))
        except GateError as exc:
            raise ConfigError(
                f"JUnit file {path} cannot be read ({exc}); give the XML files "
                "`pytest --junitxml` wrote"
            ) from None


def prepare(
    config: GateConfig,
    *,
    root: Path,
    cwd: Path,
    python: Path,
    cli_data: Sequence[str],
    cli_junit: Sequence[str],
) -> GateConfig:
    """The gate's config with the reuse patterns expanded to absolute files, checked readable.

    Command-line patterns (relative to the working directory) replace the configured ones
    (relative to the target root). Raises ConfigError for a pattern that matches nothing or a
    file that cannot be read."""
    if cli_data:
        data = expand(cli_data, cwd, DATA_FLAG)
    else:
        data = expand(config.option_list(DATA_OPTION), root, "`data` in [tool.audit.coverage]")
    if cli_junit:
        junit = expand(cli_junit, cwd, JUNIT_FLAG)
    else:
        junit = expand(config.option_list(JUNIT_OPTION), root, "`junit` in [tool.audit.coverage]")
    if junit and not data:
        raise ConfigError(
            "JUnit results (--junit or `junit`) are reused only together with the coverage data "
            "of the same run; add --coverage-data"
        )
    if data:
        _check_data_readable(python, data, root)
        _check_junit_readable(junit)
    return dataclasses.replace(
        config, options={**config.options, DATA_OPTION: data, JUNIT_OPTION: junit}
    )


def _combine(ctx: GateContext, command: Sequence[str], files: list[str]) -> Path:
    """Copy the data files into the work directory and combine them there; the combined file."""
    shards = ctx.workdir / "shards"
    shards.mkdir(parents=True, exist_ok=True)
    copies = []
    for index, path in enumerate(files):
        copy = shards / f"{index}-{Path(path).name}"
        shutil.copyfile(path, copy)
        copies.append(str(copy))
    ctx.progress("combining coverage data")
    env = tool_env(ctx, runs_target=False)
    result = ctx.run([*command, "combine", *copies], env=env)
    check_exit("`coverage combine`", result, COMBINE_OK)
    combined = ctx.workdir / ".coverage"
    if not combined.is_file():
        raise tool_failed("`coverage combine` wrote no data file", result)
    return combined


def _measured(ctx: GateContext, combined: Path) -> list[Path]:
    listed = json_report.measured_files(combined)
    if listed is not None:
        return sorted(Path(name) for name in listed)
    result = ctx.run(
        [str(ctx.python), "-c", _MEASURED, str(combined)],
        cwd=ctx.workdir,
        env=tool_env(ctx, runs_target=False),
    )
    check_exit("reading the combined coverage data", result, (0,))
    try:
        return measured_files(result.stdout)
    except GateError as exc:
        raise GateError(str(exc), log_tail=result.describe(tail_lines=40)) from None


def junit_counts(files: list[str]) -> SuiteCounts | None:
    """The test outcomes of the reused JUnit FILES, summed; None when none were given."""
    if not files:
        return None
    parts = [parse_junit(Path(f)) for f in files]
    counts = SuiteCounts(
        collected=sum(p.collected for p in parts),
        passed=sum(p.passed for p in parts),
        failed=sum(p.failed for p in parts),
        errors=sum(p.errors for p in parts),
        skipped=sum(p.skipped for p in parts),
        failures=tuple(f for p in parts for f in p.failures),
        xfailed=sum(p.xfailed for p in parts),
        # pytest's JUnit XML writes an xpassed test as a pass; without the outcome counter of
        # a run the gate drives, they stay among `passed`.
        xpassed=sum(p.xpassed for p in parts),
    )
    if counts.collected == 0:
        raise GateError(
            f"the JUnit files ({', '.join(files)}) list no test case, so nothing was measured"
        )
    return counts


_NOT_COUNTED = SuiteCounts(
    collected=0, passed=0, failed=0, errors=0, skipped=0, failures=(), xfailed=0, xpassed=0
)


def reused_run(ctx: GateContext, command: Sequence[str]) -> tuple[SuiteRun, bool]:
    """A SuiteRun from the data and JUnit files; and whether JUnit results were given."""
    try:  # already absolute files when the command line prepared them; idempotent then
        data = expand(ctx.config.option_list(DATA_OPTION), ctx.root, "`data`")
        junit = expand(ctx.config.option_list(JUNIT_OPTION), ctx.root, "`junit`")
    except ConfigError as exc:
        raise GateError(str(exc)) from None
    counts = junit_counts(junit)
    combined = _combine(ctx, command, data)
    measured = _measured(ctx, combined)
    # Both read the combined data and parse the measured files; side by side, the report is
    # used only once the data proved fresh.
    reading = Beside(
        functools.partial(read_report, ctx, command, tool_env(ctx, runs_target=False)),
        "coverage json",
    )
    try:
        fresh.check_fresh(ctx, measured, data, combined)
    except BaseException as exc:
        reading.abandon(exc)
        raise
    report = reading.result()
    run = SuiteRun(
        exit_code=0,
        # Without JUnit results nothing was counted: `adjust` drops `tests_failed` and the
        # test counts, and the population is the lines the data saw run.
        counts=counts or _NOT_COUNTED,
        coverage=report.totals,
        coverage_version=report.version,
        skipped_files=report.skipped_files,
        combined=len(data),
        coverage_warnings=coverage_warnings(report.coverage_stderr),
        excluded_files=report.excluded_files,
    )
    return run, counts is not None


def adjust(ctx: GateContext, measurement: Measurement, has_junit: bool) -> Measurement:
    """The measurement of a reused run: where the data came from, and `tests_failed` without
    JUnit results an error (skipped when non-blocking)."""
    details = msgspec.structs.replace(
        measurement.details,
        reused=Reused(
            coverage_data=tuple(ctx.config.option_list(DATA_OPTION)),
            junit=tuple(ctx.config.option_list(JUNIT_OPTION)),
        ),
        command="coverage combine (reused data)",
        pytest_exit_code=None,
    )
    if has_junit:
        return dataclasses.replace(measurement, details=details)
    values = {k: v for k, v in measurement.values.items() if k != "tests_failed"}
    details = msgspec.structs.replace(details, tests=None)
    if ctx.config.blocking["tests_failed"]:
        return dataclasses.replace(
            measurement, values=values, details=details,
            unmeasured={**measurement.unmeasured, "tests_failed": NO_JUNIT},
        )
    return dataclasses.replace(
        measurement, values=values, details=details,
        skipped={**measurement.skipped, "tests_failed": NO_JUNIT},
    )

