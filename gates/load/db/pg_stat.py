"""Reading PostgreSQL's own statement statistics (`db_timing = "postgres"`).

pg_stat_statements keeps, per normalised statement, the calls and the total and maximum
execution time since its last reset. The gate resets the entries of the service's database
when a measured stage begins and reads them when it ends, over one connection of its own
(autocommit, so it holds no transaction open). Its own statements on pg_stat_statements are
left out of the figures, and so are transaction control and session commands (BEGIN, COMMIT,
SET, SHOW, ...: `instrument.transaction_control`), which the python mode does not count
either. Needs: the extension loaded (`shared_preload_libraries`) and created in the service's
database, and a role allowed to reset it (superuser, or EXECUTE on `pg_stat_statements_reset`
granted); reading other roles' statement texts needs `pg_read_all_stats`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import msgspec

from auditor.errors import GateError
from gates.load.db.aggregates import StageTimings, StatementStats, merge
from gates.load.db.instrument import normalise, transaction_control

if TYPE_CHECKING:
    import psycopg

CONNECT_TIMEOUT_S = 10
ENABLE_HINT = (
    "add `shared_preload_libraries = 'pg_stat_statements'` to postgresql.conf, restart the "
    "server, then run `CREATE EXTENSION pg_stat_statements;` in the service's database"
)
NO_TEXT = "(statement text discarded by pg_stat_statements)"
_Row = TypeVar("_Row", bound=msgspec.Struct)
_MIN_VERSION = 130000
"""PostgreSQL 13 named the columns total_exec_time / max_exec_time."""


def _describe(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def _redacted(url: str) -> str:
    """The URL without its password, for messages."""
    head, sep, tail = url.partition("://")
    if not sep or "@" not in tail:
        return url
    credentials, _, host = tail.rpartition("@")
    user = credentials.split(":", 1)[0]
    return f"{head}://{user}:***@{host}" if ":" in credentials else url


class _Server(msgspec.Struct, array_like=True):
    """`SELECT current_database(), current_setting('server_version_num')::integer`."""

    database: str
    version: int


class _Statement(msgspec.Struct, array_like=True):
    """A row of the query in `PgStatements.read` (pg_stat_statements' columns, PostgreSQL 13+:
    query text, calls bigint, total_exec_time and max_exec_time double precision)."""

    query: str | None
    """NULL when pg_stat_statements discarded its stored texts (a failed garbage collection of
    its text file): the timings stay, under NO_TEXT."""
    calls: int
    total_exec_time: float
    max_exec_time: float


def _typed(rows: Sequence[tuple[Any, ...]], kind: type[_Row], what: str) -> list[_Row]:
    """ROWS as KIND; GateError naming the row and the column of a value of another type (a
    NULL included)."""
    typed: list[_Row] = []
    for index, row in enumerate(rows):
        try:
            typed.append(msgspec.convert(row, kind))
        except msgspec.ValidationError as exc:
            raise GateError(f"row {index + 1} of {what} is not the columns read: {exc}"
                            ) from None
    return typed


class PgStatements:
    """A connection to the service's database that resets and reads pg_stat_statements."""

    def __init__(self, conn: psycopg.Connection[Any], database: str) -> None:
        self._conn = conn
        self.database = database

    @classmethod
    def connect(cls, url: str) -> PgStatements:
        """Connect and check that pg_stat_statements can be used; GateError says the fix."""
        try:
            import psycopg  # noqa: PLC0415  # only the postgres mode needs a PostgreSQL client
        except ImportError:
            raise GateError(
                "`db_timing = \"postgres\"` needs psycopg in the auditor's environment: "
                "install `auditor[postgres]` (or `pip install 'psycopg[binary]'`)"
            ) from None
        try:
            conn = psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S)
        except psycopg.Error as exc:
            raise GateError(
                f"could not connect to the database {_redacted(url)} to read "
                f"pg_stat_statements: {_describe(exc)}"
            ) from None
        try:
            servers = _typed(conn.execute(
                "SELECT current_database(), current_setting('server_version_num')::integer"
            ).fetchall(), _Server, "the server's name and version")
            if len(servers) != 1:
                raise GateError("the server's name and version were not one row")
            found = conn.execute(
                "SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'"
            ).fetchone()
        except (psycopg.Error, GateError) as exc:
            conn.close()
            raise GateError(f"could not query the database: {_describe(exc)}") from None
        database, version = servers[0].database, servers[0].version
        if version < _MIN_VERSION:
            conn.close()
            raise GateError("reading pg_stat_statements needs PostgreSQL 13 or newer")
        if found is None:
            conn.close()
            raise GateError(
                f"the extension pg_stat_statements is not created in the database {database!r}:"
                f" {ENABLE_HINT}"
            )
        reader = cls(conn, database)
        reader.read()  # fails now, not mid-load, when the library is not preloaded
        return reader

    def _run(self, sql: str, what: str) -> list[tuple[Any, ...]]:
        import psycopg  # noqa: PLC0415

        try:
            return self._conn.execute(sql).fetchall()
        except psycopg.errors.InsufficientPrivilege as exc:
            raise GateError(
                f"not allowed to {what} pg_stat_statements in {self.database!r} "
                f"({_describe(exc)}): connect as a superuser, or `GRANT EXECUTE ON FUNCTION "
                "pg_stat_statements_reset TO <role>` and `GRANT pg_read_all_stats TO <role>`"
            ) from None
        except psycopg.errors.ObjectNotInPrerequisiteState as exc:
            raise GateError(
                f"pg_stat_statements is not loaded ({_describe(exc)}): {ENABLE_HINT}"
            ) from None
        except psycopg.Error as exc:
            raise GateError(
                f"could not {what} pg_stat_statements in {self.database!r}: {_describe(exc)}"
            ) from None

    def reset(self) -> None:
        """Forget the statements of the service's database so far."""
        self._run(
            "SELECT pg_stat_statements_reset(0, "
            "(SELECT oid FROM pg_database WHERE datname = current_database()), 0)",
            "reset",
        )

    def read(self) -> StageTimings:
        """The service database's statements since the last reset, but transaction control
        and session commands."""
        rows = self._run(
            "SELECT query, calls, total_exec_time, max_exec_time FROM pg_stat_statements "
            "WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) "
            "AND calls > 0 AND query NOT ILIKE '%pg_stat_statements%'",
            "read",
        )
        statements = [
            StatementStats(NO_TEXT if row.query is None else normalise(row.query), row.calls,
                           row.total_exec_time, row.max_exec_time)
            for row in _typed(rows, _Statement, "pg_stat_statements")
            if row.query is None or not transaction_control(row.query)
        ]
        return StageTimings(statements=merge(statements))

    def close(self) -> None:
        self._conn.close()
