"""Which test runner the coverage gate runs, and the Django route's measurement.

`runner = "auto"` (the default) runs pytest unless the target is a Django project tested with
Django's own runner: a `manage.py` at the root and no pytest-django configuration (a settings
module in the pytest configuration). `runner = "pytest"` or `"django"` chooses. The settings
module is found as the chosen runner finds it (gates.django_project.settings_module) and named
in the details.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import msgspec

from auditor.errors import ConfigError, GateError
from auditor.model import Measurement
from auditor.plugin import GateContext
from gates.coverage.details import SuiteRunner
from gates.coverage.django_run import probe, run_django_suite
from gates.coverage.measurement import build_measurement
from gates.django_project import MANAGE_PY, Settings, manage_py, settings_module
from gates.django_project import uses_pytest_django as pytest_django_configured
from gates.service import env_table

RUNNERS = ("auto", "pytest", "django")
RUNNER_OPTION = "runner"
DJANGO_ARGS_OPTION = "django_test_args"
TABLE = "[tool.audit.coverage]"


@dataclass(frozen=True)
class Choice:
    """The runner the gate runs and why; `django` is the target's Django facts, None when it
    is not a Django project."""

    name: Literal["pytest", "django"]
    why: str
    settings: Settings | None
    django: bool


def check_option(value: str) -> None:
    """A `runner` other than auto, pytest or django is a ConfigError naming the choices."""
    if value not in RUNNERS:
        raise ConfigError(
            f'`runner = "{value}"` in {TABLE} is not a runner; use one of '
            + ", ".join(f'"{r}"' for r in RUNNERS)
        )


def choose(root: Path, option: str, env: Mapping[str, str]) -> Choice:
    """The runner OPTION asks for (auto: detected from the files under ROOT), with the
    settings module it would use given ENV."""
    check_option(option)
    has_manage = manage_py(root) is not None
    pytest_django = pytest_django_configured(root)
    name: Literal["pytest", "django"]
    if option != "auto":
        name = "django" if option == "django" else "pytest"
        why = f'`runner = "{option}"` in {TABLE}'
    elif pytest_django:
        name, why = "pytest", "pytest-django is configured (a settings module in the pytest "
        why += "configuration)"
    elif has_manage:
        name, why = "django", f"{MANAGE_PY} at the root and no pytest-django configuration"
    else:
        name, why = "pytest", "not a Django project (no manage.py)"
    django = has_manage or pytest_django or name == "django"
    settings = settings_module(root, env, name) if django else None
    return Choice(name=name, why=why, settings=settings, django=django)


def choice_for(ctx: GateContext) -> Choice:
    """The runner of this run, the settings found with the test run's environment."""
    env = {**ctx.env(), **env_table(ctx.config.option_table("env"), TABLE)}
    option = ctx.config.options.get(RUNNER_OPTION, "auto")
    return choose(ctx.root, str(option), env)


def described(
    measurement: Measurement, choice: Choice, exit_code: int | None = None
) -> Measurement:
    """MEASUREMENT with the runner and settings in its details, for a Django project;
    EXIT_CODE is that of `manage.py test`."""
    if not choice.django:
        return measurement
    runner = SuiteRunner(
        name=choice.name,
        chosen_because=choice.why,
        settings=choice.settings.module if choice.settings else None,
        settings_from=choice.settings.origin if choice.settings else None,
        exit_code=exit_code,
    )
    details = msgspec.structs.replace(measurement.details, runner=runner)
    return dataclasses.replace(measurement, details=details)


def measure_django(
    ctx: GateContext, command: list[str], candidates: set[str], choice: Choice
) -> Measurement:
    """The gate's measurement of `coverage run manage.py test`."""
    if manage_py(ctx.root) is None:
        raise GateError(
            f'`runner = "django"` runs `{MANAGE_PY} test`, but there is no {MANAGE_PY} at '
            f'{ctx.root}; audit the directory that holds it, or set `runner = "pytest"`'
        )
    if choice.settings is None:
        raise GateError(
            f"no Django settings module found: {MANAGE_PY} sets no DJANGO_SETTINGS_MODULE; set "
            f'it in `env` of {TABLE} (env = {{ DJANGO_SETTINGS_MODULE = "mysite.settings" }})'
        )
    toolchain = None
    if not command:
        ctx.progress("checking the target's interpreter")
        toolchain = probe(ctx)
        command = [str(ctx.python), "-m", "coverage"]
    args = ctx.config.option_list(DJANGO_ARGS_OPTION)
    run = run_django_suite(ctx, command, choice.settings, args)
    measurement = build_measurement(ctx, run, None, command, candidates)
    versions = f"Django {toolchain.django_version}, " if toolchain else ""
    details = msgspec.structs.replace(
        measurement.details,
        python_version=toolchain.python_version if toolchain else None,
        pytest_exit_code=None,
    )
    measurement = dataclasses.replace(
        measurement,
        details=details,
        tool_name="Django's test runner + coverage.py",
        tool_version=versions + measurement.tool_version,
    )
    return described(measurement, choice, run.exit_code)
