"""The throwaway database the migrations run against.

By default a SQLite file in the gate's work directory. With a PostgreSQL server configured
(`database_url`, or the variable `database_url_env` names), the gate creates a database of its
own on that server, hands its URL to the migrations, and drops it afterwards, however the run
ends. The server is reached through SQLAlchemy and psycopg 3 (the auditor's own); the URL the
migrations get keeps the driver the configuration names, which the target's environment has.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from auditor.errors import ConfigError, GateError

if TYPE_CHECKING:
    from sqlalchemy.engine import URL, Engine

CONNECT_TIMEOUT_S = 5


def server_url(raw: str, where: str) -> URL:
    """RAW read as a PostgreSQL URL; ConfigError naming WHERE it came from otherwise."""
    # SQLAlchemy loads only when a server is configured: every audit imports this gate.
    from sqlalchemy.engine import make_url  # noqa: PLC0415
    from sqlalchemy.exc import ArgumentError  # noqa: PLC0415

    try:
        url = make_url(raw)
    except ArgumentError:
        raise ConfigError(
            f"{where} is not a database URL; give postgresql://user@host/db"
        ) from None
    if url.get_backend_name() != "postgresql":
        raise ConfigError(f"{where} must be a postgresql:// URL (the default is a SQLite file)")
    return url


def _admin_engine(url: URL) -> Engine:
    from sqlalchemy import create_engine  # noqa: PLC0415

    own = url.set(drivername="postgresql+psycopg")
    return create_engine(
        own, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": CONNECT_TIMEOUT_S}
    )


def check_reachable(url: URL, where: str) -> None:
    """ConfigError unless the server at URL answers."""
    from sqlalchemy import text  # noqa: PLC0415
    from sqlalchemy.exc import SQLAlchemyError  # noqa: PLC0415

    engine = _admin_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        reason = str(exc.__cause__ or exc).strip().splitlines()[0]
        raise ConfigError(
            f"the PostgreSQL server of {where} cannot be reached ({reason}); start it, fix "
            "the URL, or leave it out to migrate a SQLite file"
        ) from None
    finally:
        engine.dispose()


@contextlib.contextmanager
def throwaway(workdir: Path, server: URL | None) -> Iterator[tuple[str, str]]:
    """A fresh, empty database: its URL (for the migrations) and its kind."""
    if server is None:
        path = workdir / "migrations.sqlite3"
        path.unlink(missing_ok=True)
        yield f"sqlite:///{path}", "sqlite"
        return
    from sqlalchemy import text  # noqa: PLC0415
    from sqlalchemy.exc import SQLAlchemyError  # noqa: PLC0415

    name = f"audit_deploy_{secrets.token_hex(6)}"
    engine = _admin_engine(server)
    try:
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except SQLAlchemyError as exc:
        engine.dispose()
        raise GateError(f"the throwaway database could not be created: {exc}") from None
    try:
        yield server.set(database=name).render_as_string(hide_password=False), "postgresql"
    finally:
        with contextlib.suppress(SQLAlchemyError), engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()
