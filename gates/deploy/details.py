"""The deploy gate's `details`, typed: what was built, checked, installed, migrated and started.

The field names are the scorecard's JSON keys; msgspec writes them and reads them back, and a
value of the wrong type is a validation error naming the field.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from auditor.model import Details


class Record(msgspec.Struct, frozen=True, omit_defaults=True, forbid_unknown_fields=True):
    """A record inside the deploy details."""


class Artifact(Record, frozen=True):
    """A distribution `build` made, as its `--report` lists it."""

    name: str
    kind: Literal["sdist", "wheel"]
    size: int


class BuildRun(Record, frozen=True):
    """How the distributions were built."""

    isolated: bool
    """True: in a fresh environment with the build requirements (as pip builds); False: in
    the target's environment."""
    duration_s: float
    artifacts: tuple[Artifact, ...] = ()
    log_tail: str | None = None
    """The build log's last lines, when it failed."""


class ImportFailure(Record, frozen=True):
    """A module of the source tree that did not import from the installed wheel."""

    module: str
    path: str
    """Its source file, relative to the target root."""
    reason: str
    missing_from_wheel: bool = False


class ScriptRun(Record, frozen=True):
    """A console script of the wheel, run with `--help`."""

    name: str
    exit_code: int
    output_tail: str = ""


class InstallCheck(Record, frozen=True):
    """The wheel installed into a fresh environment and imported there."""

    modules: int
    """Modules of the source tree under the wheel's top-level packages, tried."""
    imported: int
    top_level: tuple[str, ...]
    failures: tuple[ImportFailure, ...] = ()
    scripts: tuple[ScriptRun, ...] = ()
    not_imported: tuple[str, ...] = ()
    """Looked for in the wheel but not imported: `__main__` modules (programs run with
    `python -m`) and those `not_imported` names."""


class MigrationStep(Record, frozen=True):
    """One revision applied or reverted against the throwaway database."""

    phase: Literal["upgrade", "downgrade", "upgrade again"]
    revision: str
    ok: bool
    error: str = ""


class Drift(Record, frozen=True):
    """A difference between the models and the database the migrations made."""

    kind: str
    """What a new migration would do: alembic's `add_column`, `remove_table`, `modify_type`,
    ...; Django's operation, snake-cased: `add_field`, `create_model`, `alter_field`, ..."""
    table: str
    """The table; for Django, the model (`app.model`)."""
    column: str = ""
    """The column; for Django, the field."""


class MigrationRun(Record, frozen=True):
    """The migrations run against a throwaway database."""

    framework: Literal["alembic", "django"]
    database: str
    """The database's kind (`sqlite`, `postgresql`); never its URL (it may hold a password)."""
    config: str
    """alembic.ini or manage.py, relative to the target root."""
    revisions: int
    heads: tuple[str, ...]
    steps: tuple[MigrationStep, ...] = ()
    drift: tuple[Drift, ...] = ()
    tables: int = 0
    """Tables in the database at head (the migrations' own bookkeeping table aside); for
    Django, the models its settings install."""


class HealthCheck(Record, frozen=True):
    """The service started and its `health` path polled."""

    path: str
    healthy: bool
    startup_s: float | None = None
    """Seconds from start until `health` answered 2xx."""
    table: str = ""
    """The table the service keys came from."""
    log: str | None = None


class DeployDetails(Details, frozen=True, kw_only=True):
    """The build, the wheel's checks, the install, the migrations and the health check."""

    build: BuildRun | None = None
    wheel_checks: int | None = None
    """Distributions check-wheel-contents and twine checked."""
    install: InstallCheck | None = None
    migrations: MigrationRun | None = None
    health: HealthCheck | None = None
