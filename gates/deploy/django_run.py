"""The target's Django migrations run against a throwaway database, and its models compared.

Django finds its database in the settings, so the gate writes a settings module of its own in
its work directory (`from <the project's settings> import *`, then `DATABASES` pointing at the
throwaway database) and runs the project's `manage.py` with it, in the target's interpreter, in
the copy of the tree the build used: `migrate` from empty to the latest migrations, every app
with migrations back to zero (the last app built first), `migrate` again. The migration Django
was applying or unapplying when it failed is named from its progress lines. Then
`makemigrations --check --dry-run` lists what the models have that no migration makes.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from auditor.errors import GateError
from auditor.plugin import GateContext
from auditor.procs import ProcResult
from gates import django_project, tools
from gates.deploy import parse

Phase = Literal["upgrade", "downgrade", "upgrade again"]
SETTINGS_MODULE = "_audit_deploy_settings"
PASSWORD_VARIABLE = "AUDITOR_MIGRATIONS_PASSWORD"  # noqa: S105 (a variable's name)
"""How the settings get the database's password: not written into the settings file."""

PROBE = """\
import importlib.util, json
import django
django.setup()
from django.apps import apps
from django.db.migrations.loader import MigrationLoader
folders = {}
for config in apps.get_app_configs():
    module, _ = MigrationLoader.migrations_module(config.label)
    try:
        spec = importlib.util.find_spec(module) if module else None
    except ImportError:
        spec = None
    if spec is not None and spec.submodule_search_locations:
        folders[config.label] = list(spec.submodule_search_locations)[0]
print(json.dumps({"models": len(apps.get_models()), "folders": folders}))
"""


@dataclass
class DjangoOutcome:
    """What the migrations did, what makemigrations would add; or why they could not run."""

    plan: tuple[str, ...] = ()
    """Every migration (`app.0001_initial`), in the order `migrate` applies them."""
    project: parse.DjangoProject | None = None
    steps: list[parse.Step] = field(default_factory=list)
    conflicts: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    changes: list[parse.DjangoChange] | None = None
    """None: the models were not compared."""
    failure: str | None = None
    """Why the migrations could not be run at all, or None."""
    drift_failure: str | None = None


def project_settings(root: Path, manage: str, env: Mapping[str, str]) -> str | None:
    """The project's settings module as its MANAGE (relative to ROOT) finds it:
    DJANGO_SETTINGS_MODULE, else what manage.py sets, else pytest-django's configuration."""
    named = env.get(django_project.SETTINGS_VAR, "").strip()
    named = named or django_project.manage_py_settings(root / manage) or ""
    found = django_project.settings_module(root, env, "django")
    return named or (found.module if found else None)


def settings_text(project: str, url: str) -> tuple[str, str]:
    """The settings module that points PROJECT's settings at the database URL, and the
    database's password (handed over in PASSWORD_VARIABLE)."""
    if url.startswith("sqlite:///"):
        database = {"ENGINE": "django.db.backends.sqlite3", "NAME": url.removeprefix("sqlite:///")}
        password = ""
    else:
        # SQLAlchemy loads only when a server is configured (database.py).
        from sqlalchemy.engine import make_url  # noqa: PLC0415

        parsed = make_url(url)
        database = {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": parsed.database or "",
            "USER": parsed.username or "",
            "HOST": parsed.host or "",
            "PORT": str(parsed.port or ""),
        }
        password = parsed.password or ""
    text = (
        f"from {project} import *  # noqa: F403\n"
        "import os as _os\n\n"
        f"DATABASES = {{'default': {{**{database!r}, "
        f"'PASSWORD': _os.environ[{PASSWORD_VARIABLE!r}]}}}}\n"
    )
    return text, str(password)


@dataclass(frozen=True)
class _Manage:
    ctx: GateContext
    script: Path
    env: dict[str, str]

    def run(self, *args: str) -> ProcResult:
        return self.ctx.run(
            [str(self.ctx.python), self.script.name, *args], cwd=self.script.parent, env=self.env
        )

    def python(self, code: str) -> ProcResult:
        return self.ctx.run(
            [str(self.ctx.python), "-c", code], cwd=self.script.parent, env=self.env
        )


def _manage(ctx: GateContext, source: Path, manage: str, url: str, project: str) -> _Manage:
    folder = ctx.workdir / "django-settings"
    folder.mkdir(parents=True, exist_ok=True)
    text, password = settings_text(project, url)
    (folder / f"{SETTINGS_MODULE}.py").write_text(text, encoding="utf-8")
    base = ctx.env()
    path = [str(folder), *filter(None, [base.get("PYTHONPATH", "")])]
    env = tools.tool_env(
        ctx,
        {
            "PYTHONPATH": os.pathsep.join(path),
            django_project.SETTINGS_VAR: SETTINGS_MODULE,
            PASSWORD_VARIABLE: password,
        },
    )
    return _Manage(ctx, source / manage, env)


def _migrate(manage: _Manage, outcome: DjangoOutcome, phase: Phase, *args: str) -> bool:
    """Run `migrate ARGS`; each migration it started is a step of PHASE. Whether it finished."""
    result = manage.run("migrate", *args, "--noinput", "--verbosity", "1")
    progress = parse.django_progress(result.stdout)
    error = result.last_line()
    for started in progress:
        outcome.steps.append(
            parse.Step(phase, started.migration, started.done, "" if started.done else error)
        )
    if result.returncode == 0:
        return True
    outcome.conflicts = parse.django_conflicts(result.stderr)
    if not outcome.conflicts and all(p.done for p in progress):
        command = " ".join(["manage.py migrate", *args])
        outcome.failure = f"`{command}` failed: {error}"
    return False


def run_django(
    ctx: GateContext, source: Path, manage_py: str, url: str, project: str
) -> DjangoOutcome:
    """Run the migrations of MANAGE_PY (relative to the copy of the tree, SOURCE) against URL,
    with the settings module PROJECT."""
    if not tools.target_has_module(ctx, "django"):
        raise GateError(
            f"the target has {manage_py} but Django is not installed in its interpreter "
            f"{ctx.python}; install it there (the migrations run with the target's packages)"
        )
    manage = _manage(ctx, source, manage_py, url, project)
    ctx.progress("running the migrations")
    probe = manage.python(PROBE)
    if probe.returncode != 0:
        return DjangoOutcome(
            failure=f"the settings {project} cannot be loaded: {probe.last_line()}"
        )
    outcome = DjangoOutcome(project=parse.django_project(probe.stdout))
    shown = manage.run("showmigrations", "--plan", "--verbosity", "1")
    if shown.returncode != 0:
        outcome.failure = f"`manage.py showmigrations` failed: {shown.last_line()}"
        return outcome
    outcome.plan = tuple(parse.django_plan(shown.stdout))
    if _migrate(manage, outcome, "upgrade") and all(
        _migrate(manage, outcome, "downgrade", app, "zero")
        for app in reversed(parse.django_apps(outcome.plan))
    ):
        _migrate(manage, outcome, "upgrade again")
    if not outcome.conflicts and outcome.failure is None:
        _compare(manage, outcome)
    return outcome


def _compare(manage: _Manage, outcome: DjangoOutcome) -> None:
    ctx = manage.ctx
    ctx.progress("comparing the models with the migrations")
    result = manage.run("makemigrations", "--check", "--dry-run", "--verbosity", "1")
    if result.returncode not in (0, 1) or (result.returncode == 1 and result.stderr.strip()):
        outcome.drift_failure = f"`manage.py makemigrations --check` failed: {result.last_line()}"
        return
    outcome.changes = parse.django_changes(result.stdout) if result.returncode == 1 else []
