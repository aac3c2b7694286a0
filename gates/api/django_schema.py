"""The api gate on a Django project: the project found, and its schema generated when none is
configured (gates.api.django_views finds the view of each operation).

A Django project is a `manage.py` in the service's directory (its `cwd`, else the target root);
its settings module is found as Django finds it (`DJANGO_SETTINGS_MODULE` in the service's
environment, else what `manage.py` sets by default). What it installs is asked of the target's
interpreter (gates.django_project.PROBE), never imported by the auditor.

Schema: with `schema` at its default and Django REST Framework installed, the gate writes the
schema into its work directory: `manage.py spectacular --file` when drf-spectacular is an
installed app, else DRF's own `manage.py generateschema --file` (which needs pyyaml and
uritemplate). The details say which command wrote it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

from auditor.errors import GateError
from auditor.plugin import GateContext
from gates import service as api_service
from gates.api.settings import API_OPTIONS, TABLE, ApiSettings
from gates.django_project import (
    MANAGE_PY,
    PROBE,
    SETTINGS_VAR,
    Probed,
    Settings,
    manage_py,
    read_probe,
    settings_module,
)
from gates.tools import check_exit

SCHEMA_FILE = "schema.yaml"
DEFAULT_SCHEMA = next(o.default for o in API_OPTIONS if o.name == "schema")
GENERATORS_HINT = (
    'install drf-spectacular into the target\'s environment and add "drf_spectacular" to '
    "INSTALLED_APPS (`pip install drf-spectacular`), or pyyaml and uritemplate for Django REST "
    "Framework's own generateschema (`pip install pyyaml uritemplate`), or set `schema` in "
    f"{TABLE} to the path the service serves its OpenAPI schema on"
)


@dataclass(frozen=True)
class DjangoService:
    """The Django project a service runs: where, with which settings and environment."""

    cwd: Path
    settings: Settings
    env: dict[str, str]

    def command(self, ctx: GateContext, *args: str) -> list[str]:
        return [str(ctx.python), MANAGE_PY, *args]


@dataclass(frozen=True)
class GeneratedSchema:
    """A schema the gate generated, and how."""

    path: Path
    source: str
    """How it was made: `manage.py spectacular --file <path>` (settings shop.settings)."""


def django_service(ctx: GateContext, settings: ApiSettings) -> DjangoService | None:
    """The Django project the service runs, None when it is not one (no manage.py, or no
    settings module named anywhere Django looks)."""
    cwd = ctx.root / settings.service.cwd if settings.service.cwd else ctx.root
    if manage_py(cwd) is None:
        return None
    env = api_service.service_env(ctx.env(), settings.service, ctx.python, ctx.workdir)
    found = settings_module(cwd, env, "django")
    if found is None:
        return None
    env[SETTINGS_VAR] = found.module
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(cwd), env.get("PYTHONPATH", "")) if p)
    return DjangoService(cwd=cwd, settings=found, env=env)


def probe(ctx: GateContext, django: DjangoService) -> Probed:
    """What the target's interpreter has installed, and the apps the settings install."""
    ctx.progress("reading the Django project's settings")
    result = ctx.run([str(ctx.python), "-c", PROBE], cwd=django.cwd, env=django.env)
    probed = read_probe(result.stdout) if result.returncode == 0 else None
    if probed is None:
        raise GateError(
            f"the target's interpreter {ctx.python} could not report the Django project's settings",
            log_tail=result.describe(tail_lines=40),
        )
    return probed


def generator(probed: Probed) -> str | None:
    """The management command that writes the schema of the project PROBED: drf-spectacular's
    when it is an installed app, else DRF's own when pyyaml and uritemplate are importable;
    None when the project does not install Django REST Framework (nothing to generate from).
    GateError with what to install when neither can run."""
    if not probed.has_app("rest_framework"):
        return None
    if probed.has_app("drf_spectacular"):
        return "spectacular"
    if probed.modules.get("yaml") and probed.modules.get("uritemplate"):
        return "generateschema"
    raise GateError(
        f"no schema generator can run for this Django REST Framework project: {GENERATORS_HINT}"
    )


def generate_schema(
    ctx: GateContext, settings: ApiSettings, django: DjangoService | None
) -> GeneratedSchema | None:
    """The schema written into the work directory for a Django REST Framework project whose
    `schema` is at its default; None for any other project (the default then stands)."""
    if django is None or settings.schema != DEFAULT_SCHEMA:
        return None
    probed = probe(ctx, django)
    if probed.django is None:
        raise GateError(
            f"Django is not installed in the target's interpreter {ctx.python}, which runs "
            f"{MANAGE_PY}; point --python at the project's interpreter, or set `schema` in "
            f"{TABLE}"
        )
    if probed.error is not None:
        raise GateError(
            f"Django could not load the settings {django.settings.describe()} to generate the "
            f"API schema ({probed.error}); fix them, or set DJANGO_SETTINGS_MODULE in `env` of "
            f"{TABLE}"
        )
    name = generator(probed)
    if name is None:
        return None
    target = ctx.workdir / SCHEMA_FILE
    args = [name, "--file", str(target)]
    target.unlink(missing_ok=True)
    command = django.command(ctx, *args)
    ctx.progress(f"generating the schema (manage.py {args[0]})")
    result = ctx.run(command, cwd=django.cwd, env=django.env)
    check_exit(f"`manage.py {args[0]}`", result, (0,))
    if not target.is_file() or not target.read_bytes().strip():
        raise GateError(
            f"`manage.py {args[0]}` wrote no schema; {GENERATORS_HINT}",
            log_tail=result.describe(tail_lines=40),
        )
    return GeneratedSchema(
        path=target,
        source=f"generated by `manage.py {args[0]}` (settings "
        f"{django.settings.describe()}) into {target}",
    )


def with_schema(ctx: GateContext, settings: ApiSettings) -> ApiSettings:
    """SETTINGS with the schema generated for a Django REST Framework project whose `schema`
    is at its default (generate_schema); unchanged for any other project."""
    generated = generate_schema(ctx, settings, django_service(ctx, settings))
    if generated is None:
        return settings
    return replace(
        settings,
        schema=str(generated.path),
        generated_schema=generated.path,
        schema_source=generated.source,
    )


def locations_note(ctx: GateContext, settings: ApiSettings) -> str:
    """Why no operation's handler could be located, with what helps: for a Django project, the
    settings its URL configuration was read with (`app` fits FastAPI and Flask only)."""
    django = django_service(ctx, settings) if settings.app is None else None
    if django is not None:
        return (
            "the Django views' source lines are unknown: Django's URL configuration could "
            f"not be walked with the settings {django.settings.describe()}"
        )
    return "handlers' source lines are unknown (set `app` to module:attribute)"
