"""Runs the target's tests with Django's own test runner (`manage.py test`) under coverage.py,
in the target's interpreter.

The run is `coverage run manage.py test --noinput --testrunner <the auditor's runner>`: the
auditor's runner is the project's own (`TEST_RUNNER`, DiscoverRunner by default) that also
writes its result's outcomes as JSON into the work directory (django_outcomes_runner); the
module is copied alone into the work directory, which coverage's report leaves out. Everything
else (coverage data, bytecode, caches) goes where the pytest route puts it (run.tool_env).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import msgspec

from auditor.errors import GateError
from auditor.plugin import GateContext
from auditor.procs import ProcResult
from gates.coverage.django_outcomes import ENV_VAR, RUNNER_CLASS, RUNNER_MODULE, decode_outcomes
from gates.coverage.django_outcomes import suite_counts as django_counts
from gates.coverage.parse import SuiteCounts
from gates.coverage.run import SuiteRun, measured_run, tool_env
from gates.django_project import MANAGE_PY, SETTINGS_VAR, Settings
from gates.tools import check_exit, tool_failed

# `manage.py test` exits 0 when every test passed, 1 when any failed (or the run stopped
# before the tests, which the missing outcomes file tells apart).
DJANGO_RAN = (0, 1)

_PROBE = """\
import json, sys
found = {"python": sys.version.split()[0]}
for name in ("coverage", "django"):
    try:
        module = __import__(name)
        found[name] = str(getattr(module, "__version__", None) or module.get_version())
    except Exception:
        found[name] = None
print(json.dumps(found))
"""


class _Probed(msgspec.Struct, frozen=True):
    python: str
    coverage: str | None
    django: str | None


@dataclass(frozen=True)
class DjangoToolchain:
    """What the target's interpreter has installed for Django's runner."""

    python_version: str
    django_version: str


def probe(ctx: GateContext) -> DjangoToolchain:
    """Check that the target's interpreter has coverage and Django."""
    env = tool_env(ctx, runs_target=False)
    result = ctx.run([str(ctx.python), "-c", _PROBE], cwd=ctx.workdir, env=env)
    check_exit(f"the target's interpreter {ctx.python}", result, (0,))
    lines = result.stdout.strip().splitlines()
    try:
        found = msgspec.json.decode(lines[-1] if lines else "", type=_Probed)
    except msgspec.DecodeError as exc:
        raise GateError(
            f"the target's interpreter {ctx.python} gave an unreadable version check: {exc}",
            log_tail=result.describe(tail_lines=40),
        ) from None
    missing = [name for name in ("coverage", "django") if getattr(found, name) is None]
    if found.coverage is None or found.django is None:
        raise GateError(
            f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not installed in "
            f"the target's interpreter {ctx.python}; install {' and '.join(missing)} into that "
            f"environment (`{ctx.python} -m pip install {' '.join(missing)}`) or point --python "
            "at the interpreter that runs the tests"
        )
    return DjangoToolchain(python_version=found.python, django_version=found.django)


def _runner_env(ctx: GateContext, settings: Settings, outcomes: Path) -> dict[str, str]:
    """The test run's environment: the auditor's runner importable, its outcomes file named,
    and the settings module the gate found (what manage.py would set by default)."""
    env = tool_env(ctx, runs_target=True)
    runner_dir = ctx.workdir / "django-runner"
    runner_dir.mkdir(parents=True, exist_ok=True)
    source = resources.files("gates.coverage").joinpath("django_outcomes_runner.py")
    (runner_dir / f"{RUNNER_MODULE}.py").write_bytes(source.read_bytes())
    path = os.pathsep.join(p for p in (str(runner_dir), env.get("PYTHONPATH", "")) if p)
    return {**env, "PYTHONPATH": path, ENV_VAR: str(outcomes), SETTINGS_VAR: settings.module}


def _counts(outcomes: Path, result: ProcResult) -> SuiteCounts:
    if result.returncode not in DJANGO_RAN:
        raise tool_failed(f"`manage.py test` exited with {result.returncode}", result)
    try:
        raw = outcomes.read_bytes()
    except OSError:
        raise tool_failed(
            "Django's test runner stopped before running the tests (the settings, the test "
            "database or the test discovery failed)",
            result,
        ) from None
    try:
        counts = django_counts(decode_outcomes(raw))
    except GateError as exc:
        raise GateError(str(exc), log_tail=result.describe(tail_lines=40)) from None
    if counts.collected == 0:
        raise tool_failed("Django's test runner found no tests", result)
    if result.returncode == 1 and counts.failed + counts.errors == 0:
        raise tool_failed(
            "the test run failed but Django's test runner reported no failing test", result
        )
    return counts


def run_django_suite(
    ctx: GateContext, coverage_cmd: list[str], settings: Settings, args: list[str]
) -> SuiteRun:
    """Run `manage.py test` under coverage, combine parallel data, and read the JSON report."""
    outcomes = ctx.workdir / "django-outcomes.json"
    env = _runner_env(ctx, settings, outcomes)
    ctx.progress("running the tests with Django's test runner under coverage")
    result = ctx.run(
        [
            *coverage_cmd,
            "run",
            MANAGE_PY,
            "test",
            "--noinput",
            f"--testrunner={RUNNER_CLASS}",
            *args,
        ],
        env=env,
    )
    return measured_run(ctx, coverage_cmd, result, _counts(outcomes, result))
