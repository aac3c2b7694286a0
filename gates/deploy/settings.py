"""The deploy gate's options, and the target checked before any gate runs.

What cannot work is said before the audit starts, in one sentence with the fix: a target with
no build backend, an alembic.ini alembic cannot read, a PostgreSQL server that does not answer.
"""

from __future__ import annotations

import configparser
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from auditor.errors import ConfigError
from auditor.model import OptionSpec
from auditor.plugin import GateConfig
from gates.deploy import database
from gates.service import SERVICE_OPTIONS

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

TABLE = "[tool.audit.deploy]"

SERVICE: tuple[OptionSpec, ...] = tuple(
    OptionSpec(
        "health",
        "str",
        None,
        "path of the service's health check, polled until it answers 2xx (required by "
        "the deploy gate's health_check: a service without one fails it)",
    )
    if spec.name == "health"
    else spec
    for spec in SERVICE_OPTIONS
)
"""The shared service keys (gates/service.py); `health` has no default here: a service must
declare its health check to pass."""

OPTIONS: tuple[OptionSpec, ...] = (
    OptionSpec(
        "isolation",
        "bool",
        True,
        "build in a fresh environment with the build requirements, as pip does; false "
        "builds with the target's environment as installed (offline CI)",
    ),
    OptionSpec(
        "migrations",
        "str",
        None,
        "the migrations' alembic.ini (or Django's manage.py), relative to the root "
        "(default: alembic.ini, else manage.py, at the root; none: the migration "
        "conditions are skipped)",
    ),
    OptionSpec(
        "database_url",
        "str",
        None,
        "a PostgreSQL server (postgresql://...) to migrate on: the gate creates a "
        "throwaway database there and drops it afterwards (default: a SQLite file in "
        "its work directory); prefer `database_url_env`",
    ),
    OptionSpec(
        "database_url_env",
        "str",
        None,
        "the name of an environment variable holding `database_url`",
    ),
    OptionSpec(
        "not_imported",
        "str_list",
        [],
        "modules only a framework loads, never imported on their own (an Alembic "
        "env.py, a settings-bound runner): fnmatch patterns on dotted names; they must "
        "still be in the wheel (`__main__` modules are never imported)",
    ),
    OptionSpec(
        "build_command",
        "str_list",
        [],
        "the build frontend as a command list (default: `python -m build` with the "
        "target's interpreter)",
    ),
    OptionSpec(
        "check_wheel_contents_command",
        "str_list",
        [],
        "command that runs check-wheel-contents (default: the auditor's own)",
    ),
    OptionSpec(
        "twine_command", "str_list", [], "command that runs twine (default: the auditor's own)"
    ),
    *SERVICE,
)


@dataclass(frozen=True)
class Migrations:
    framework: Literal["alembic", "django"]
    path: str
    """Relative to the root."""


def _pyproject(root: Path) -> dict[str, object]:
    pyproject = root / "pyproject.toml"
    try:
        return tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{pyproject} cannot be read ({exc}); fix it") from None


def is_package(root: Path) -> bool:
    """Whether ROOT declares a distribution: setup.py, or pyproject.toml's [project] or
    [build-system]. A tree that declares none (a service run from its source) has nothing to
    build: the gate is skipped."""
    data = _pyproject(root)
    return (root / "setup.py").is_file() or "project" in data or "build-system" in data


def build_backend_error(root: Path) -> str | None:
    """Why ROOT, which declares a distribution, cannot be built; or None."""
    if (root / "setup.py").is_file() or "build-system" in _pyproject(root):
        return None
    if not is_package(root):
        return None
    return (
        f"{root} has no build backend for the deploy gate to build it with: add a "
        '[build-system] table to pyproject.toml (e.g. requires = ["setuptools>=68"], '
        'build-backend = "setuptools.build_meta"), or leave `deploy` out of the gates'
    )


def find_migrations(root: Path, config: GateConfig) -> Migrations | None:
    """The migrations to run: the configured file, else alembic.ini or manage.py at the root."""
    configured = config.option_str("migrations")
    if configured is not None:
        if not (root / configured).is_file():
            raise ConfigError(
                f"`migrations` in {TABLE} names {configured}, which is not a file "
                "of the target; give its alembic.ini or manage.py"
            )
        django = Path(configured).name == "manage.py"
        return Migrations("django" if django else "alembic", Path(configured).as_posix())
    for name, framework in (("alembic.ini", "alembic"), ("manage.py", "django")):
        if (root / name).is_file():
            return Migrations(framework, name)  # type: ignore[arg-type]
    return None


def check_alembic_ini(root: Path, ini: str) -> None:
    """ConfigError unless alembic can read INI and find its migrations folder."""
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(root / ini, encoding="utf-8")
    except configparser.Error as exc:
        first = str(exc).splitlines()[0]
        raise ConfigError(f"{ini} cannot be read by alembic ({first}); fix that line") from None
    if not parser.has_section("alembic"):
        raise ConfigError(
            f"{ini} has no [alembic] section; `alembic init` writes one with `script_location`"
        )
    location = parser.get("alembic", "script_location", fallback=None)
    if not location:
        raise ConfigError(
            f"{ini} has no `script_location` in its [alembic] section; set it to "
            "the migrations folder"
        )
    here = (root / ini).parent
    folder = Path(location.replace("%(here)s", str(here)))
    is_resource = ":" in location and not folder.is_absolute()
    if not is_resource and not (root / folder).is_dir():
        raise ConfigError(
            f"`script_location = {location}` in {ini} is not a folder of the "
            "target; point it at the migrations folder"
        )


def server(config: GateConfig, env: dict[str, str] | os._Environ[str]) -> URL | None:
    """The PostgreSQL server to migrate on, or None (a SQLite file)."""
    raw = config.option_str("database_url")
    name = config.option_str("database_url_env")
    if raw and name:
        raise ConfigError(f"{TABLE} sets both `database_url` and `database_url_env`; keep one")
    if name:
        raw = env.get(name)
        if not raw:
            raise ConfigError(
                f"`database_url_env` in {TABLE} names {name}, which is not set; "
                "set it to the PostgreSQL server's URL"
            )
        return database.server_url(raw, f"the variable {name} (`database_url_env`)")
    if raw:
        return database.server_url(raw, f"`database_url` in {TABLE}")
    return None


def where_server(config: GateConfig) -> str:
    """Where the server's URL comes from, for messages (never the URL)."""
    name = config.option_str("database_url_env")
    return f"the variable {name} (`database_url_env`)" if name else f"`database_url` in {TABLE}"
