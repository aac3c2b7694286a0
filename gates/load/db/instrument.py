"""Database statement timing inside the audited service's own process (`db_timing = "python"`).

This file is copied, as `audit_db_timing.py`, next to a two-line `sitecustomize.py` into a
directory the load gate puts first on the service's PYTHONPATH; it uses the standard library
only and runs on any Python from 3.8. Nothing happens at import: `install()` does the work.

What is timed (statements are keyed by their normalised text, see `normalise`):
- `sqlite3`: `connect()` returns a subclass of the connection class it would have returned
  (the service's own `factory` included) whose cursors time `execute`, `executemany` and
  `executescript`, plus the fetches that follow until the result is exhausted, the cursor is
  executed again, closed or freed: SQLite computes rows while they are fetched, so a scan is
  only finished when its last row is.
- `psycopg` (3): `Cursor` / `AsyncCursor` `execute` and `executemany` (client-side cursors have
  the whole result when `execute` returns); `executemany` counts as one execution.
- `psycopg2`: `connect()` returns a subclass of the connection class it would have made (the
  service's own `connection_factory` included) whose cursors, of whatever `cursor_factory`
  (Django's own included), time `execute` and `executemany`.
- SQLAlchemy: every Engine's `before_cursor_execute` / `after_cursor_execute` events, for the
  drivers not already timed above (so no statement counts twice).
- Django: each connection Django makes (its `connection_created` signal) gets an execute
  wrapper (`execute_wrappers`, Django's hook for every query) when its driver is not timed
  above: MySQL, Oracle or any other backend's statements are timed as Django runs them.
The database drivers the service loaded (`DRIVERS`) are named in the stage files, so the gate
can say what was not timed when no statement was seen.
Modules are patched when the service imports them (an import hook), never imported here.
Transaction control and session commands (BEGIN, COMMIT, ROLLBACK, SAVEPOINT, RELEASE, START
TRANSACTION, SET, RESET, SHOW, DISCARD, see `transaction_control`) are not queries and are not
counted; the postgres mode leaves the same statements out of pg_stat_statements' rows, so both
modes count the same statements.

Stages: the load gate's locust shape writes the current stage's name (`warmup`, `normal`,
`peak`) into the file `stage` of the timing directory, and the gate writes `end` once locust
finished. A daemon thread polls that file every POLL_S seconds; when the name changes it
writes the finished stage's aggregates to `<stage>-<pid>.json` and acknowledges the new stage
in `ack-<pid>`. A control file was chosen over signals (a service may use SIGUSR1/SIGHUP
itself, and a signal cannot carry which stage began) and over time windows (the service's
clock and locust's phases would have to agree); its cost is a boundary blurred by at most
POLL_S, when users are stopped anyway (the shape pauses between stages). A forked child starts
with empty aggregates and its own thread; a process that exits writes what it has.

The statement path holds a lock for a dict update; its cost per statement is measured when the
first stage begins (`overhead_us` in the stage files) and reported with the figures.
"""

# This file runs inside the service, on whatever Python it has, where str paths and os.path
# are the plain choice (no pathlib objects in the hot path):
# ruff: noqa: PTH100, PTH105, PTH118, PTH120, PTH123

from __future__ import annotations

import atexit
import contextlib
import json
import os
import re
import sys
import threading
import time
from bisect import bisect_left
from typing import Any

ENV_DIR = "AUDIT_DB_TIMING_DIR"
STAGE_FILE = "stage"
END = "end"
POLL_S = 0.05
BOUNDS_MS = (0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0,
             1000.0, 2000.0, 5000.0)
"""Upper bounds of the latency histogram's buckets; one more bucket holds everything above."""
_BOUNDS_NS = tuple(int(b * 1e6) for b in BOUNDS_MS)
MAX_TEXT = 2000
MAX_STATEMENTS = 5000
OTHER = "(other statements)"
_CACHE_LIMIT = 4096

# (pattern, replacement) in order; compiled on first use, not while the service starts.
_RULES = (
    (r"'(?:[^']|'')*'", "?"),  # string literals
    (r"%\(\w+\)s|%s|\$\d+|(?<![:\w]):\w+|\?", "?"),  # placeholders of every paramstyle
    (r"(?<![\w$.])-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?\b", "?"),  # numbers
    (r"\(\s*\?(?:\s*,\s*\?)+\s*\)", "(...)"),  # lists of values
    (r"\(\.\.\.\)(?:\s*,\s*\(\.\.\.\))+", "(...)"),  # rows of values
    (r"\s+", " "),
)
_compiled: tuple[tuple[Any, str], ...] = ()
_TEXT_TYPES = (str, bytes)
"""Statement texts worth caching (a tuple, not `str | bytes`: this file runs on Python 3.8)."""


_CONTROL = (
    r"(?:\s|/\*.*?\*/|--[^\n]*(?:\n|\Z))*"  # leading blanks and comments
    r"(?:BEGIN|START\s+TRANSACTION|COMMIT|END|ROLLBACK|ABORT|SAVEPOINT|RELEASE"
    r"|PREPARE\s+TRANSACTION|SET|RESET|SHOW|DISCARD)\b"
)
"""The first word(s) of a transaction-control or session command (PostgreSQL's and SQLite's,
END and ABORT being PostgreSQL's names for COMMIT and ROLLBACK)."""
_control_compiled: list[Any] = []


def transaction_control(sql: str) -> bool:
    """Whether SQL is one transaction-control or session command (`BEGIN`, `COMMIT`,
    `ROLLBACK TO SAVEPOINT a`, `SET search_path TO app`, `SHOW ...`, `DISCARD ALL`, ...): not a
    query, so neither mode counts it. A script that goes on after such a command
    (`BEGIN; INSERT ...; COMMIT`) is not one."""
    if not _control_compiled:
        _control_compiled.append(re.compile(_CONTROL, re.IGNORECASE | re.DOTALL))
    match = _control_compiled[0].match(sql)
    if match is None:
        return False
    # Literals are `?` once normalised, so a `;` inside one does not count as a second statement.
    return ";" not in normalise(sql[match.end():])


def normalise(sql: str) -> str:
    """The statement's shape: literals and placeholders as `?`, lists as `(...)`, one space."""
    global _compiled  # noqa: PLW0603  # compiled once, assigned whole (threads see all or none)
    if not _compiled:
        _compiled = tuple((re.compile(pattern), replacement) for pattern, replacement in _RULES)
    text = sql
    for pattern, replacement in _compiled:
        text = pattern.sub(replacement, text)
    return text.strip().rstrip(";").strip()[:MAX_TEXT]


class Recorder:
    """Per-statement aggregates: count, total and max nanoseconds, a histogram."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.stats: dict[str, list[Any]] = {}
        self.keys: dict[object, str] = {}
        self.started_at = time.time()

    def key(self, sql: object) -> str:
        """The statement's normalised text; empty for what is not counted (transaction
        control, session commands)."""
        known = self.keys.get(sql)
        if known is not None:
            return known
        if isinstance(sql, bytes):
            text = sql.decode("utf-8", "replace")
        else:
            text = sql if isinstance(sql, str) else str(sql)
        found = "" if transaction_control(text) else normalise(text)
        if len(self.keys) >= _CACHE_LIMIT:
            self.keys.clear()
        if isinstance(sql, _TEXT_TYPES):
            self.keys[sql] = found
        return found

    def add(self, sql: object, elapsed_ns: int) -> None:
        key = self.key(sql)
        if not key:
            return
        bucket = bisect_left(_BOUNDS_NS, elapsed_ns)
        with self.lock:
            entry = self.stats.get(key)
            if entry is None:
                if len(self.stats) >= MAX_STATEMENTS:
                    key = OTHER
                    entry = self.stats.get(key)
                if entry is None:
                    entry = [0, 0, 0, [0] * (len(_BOUNDS_NS) + 1)]
                    self.stats[key] = entry
            entry[0] += 1
            entry[1] += elapsed_ns
            entry[2] = max(entry[2], elapsed_ns)
            entry[3][bucket] += 1

    def take(self) -> tuple[dict[str, list[Any]], float]:
        """The aggregates so far and when they started; starts afresh."""
        with self.lock:
            stats, started = self.stats, self.started_at
            self.stats = {}
            self.started_at = time.time()
        return stats, started


RECORDER = Recorder()
_perf = time.perf_counter_ns
_problems: list[str] = []
_hooked: list[str] = []


# -- sqlite3 ----------------------------------------------------------------------------------


class _CursorTiming:
    """Mixed into a sqlite3 cursor class: one execution lasts from execute to the last fetch."""

    _audit_sql: object = None
    _audit_ns = 0
    _audit_recorder = RECORDER

    def _audit_finish(self) -> None:
        sql = self._audit_sql
        if sql is not None:
            self._audit_sql = None
            self._audit_recorder.add(sql, self._audit_ns)

    def _audit_run(self, method: Any, sql: object, *args: Any) -> Any:
        self._audit_finish()
        start = _perf()
        try:
            return method(sql, *args)
        finally:
            self._audit_sql = sql
            self._audit_ns = _perf() - start
            if getattr(self, "description", None) is None:
                self._audit_finish()

    def execute(self, sql: Any, *args: Any) -> Any:
        return self._audit_run(super().execute, sql, *args)  # type: ignore[misc]

    def executemany(self, sql: Any, *args: Any) -> Any:
        return self._audit_run(super().executemany, sql, *args)  # type: ignore[misc]

    def executescript(self, sql: Any, *args: Any) -> Any:
        return self._audit_run(super().executescript, sql, *args)  # type: ignore[misc]

    def _audit_fetch(self, method: Any, *args: Any) -> Any:
        start = _perf()
        try:
            return method(*args)
        finally:
            self._audit_ns += _perf() - start

    def fetchone(self) -> Any:
        row = self._audit_fetch(super().fetchone)  # type: ignore[misc]
        if row is None:
            self._audit_finish()
        return row

    def fetchmany(self, *args: Any, **kwargs: Any) -> Any:
        wanted = args[0] if args else kwargs.get("size", getattr(self, "arraysize", 1))
        fetch = super().fetchmany  # type: ignore[misc]
        rows = self._audit_fetch(lambda: fetch(*args, **kwargs))
        if len(rows) < wanted:
            self._audit_finish()
        return rows

    def fetchall(self) -> Any:
        rows = self._audit_fetch(super().fetchall)  # type: ignore[misc]
        self._audit_finish()
        return rows

    def __next__(self) -> Any:
        try:
            return self._audit_fetch(super().__next__)  # type: ignore[misc]
        except StopIteration:
            self._audit_finish()
            raise

    def close(self) -> Any:
        self._audit_finish()
        return super().close()  # type: ignore[misc]

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # never let timing break the service
            self._audit_finish()


_timed_classes: dict[type, type] = {}


def _timed(base: type, mixin: type, extra: dict[str, Any] | None = None) -> type:
    found = _timed_classes.get(base)
    if found is None:
        found = type(base.__name__, (mixin, base), dict(extra or {}))
        found.__module__ = base.__module__
        _timed_classes[base] = found
    return found


class _ConnectionTiming:
    """Mixed into a sqlite3 connection class: its cursors, and its shortcuts, are timed."""

    _audit_timed = True
    _audit_cursor_class: Any = None

    def cursor(self, factory: Any = None) -> Any:
        if factory is None:
            factory = self._audit_cursor_class
        elif isinstance(factory, type) and not issubclass(factory, _CursorTiming):
            factory = _timed(factory, _CursorTiming)
        return super().cursor(factory)  # type: ignore[misc]

    # The C shortcuts would bypass the timed cursor's methods; these go through them.
    def execute(self, sql: Any, *args: Any) -> Any:
        return self.cursor().execute(sql, *args)

    def executemany(self, sql: Any, *args: Any) -> Any:
        return self.cursor().executemany(sql, *args)

    def executescript(self, sql: Any) -> Any:
        return self.cursor().executescript(sql)


def _sqlite_connection_class(sqlite3: Any, base: type) -> type:
    cursor_class = _timed(sqlite3.Cursor, _CursorTiming)
    return _timed(base, _ConnectionTiming, {"_audit_cursor_class": cursor_class})


_sqlite: list[tuple[Any, Any]] = []
"""The sqlite3 module and its own connect(), once hooked (for the overhead measurement)."""


def _hook_sqlite3(sqlite3: Any) -> None:
    original = sqlite3.dbapi2.connect
    factory_position = 5  # connect(database, timeout, detect_types, isolation_level,
    #                                 check_same_thread, factory, ...)

    def connect(*args: Any, **kwargs: Any) -> Any:
        if len(args) > factory_position:
            factory = args[factory_position]
            if isinstance(factory, type) and issubclass(factory, sqlite3.Connection):
                args = (*args[:factory_position],
                        _sqlite_connection_class(sqlite3, factory),
                        *args[factory_position + 1:])
        else:
            factory = kwargs.get("factory", sqlite3.Connection)
            if isinstance(factory, type) and issubclass(factory, sqlite3.Connection):
                kwargs["factory"] = _sqlite_connection_class(sqlite3, factory)
        return original(*args, **kwargs)

    connect.__wrapped__ = original  # type: ignore[attr-defined]
    connect.__doc__ = original.__doc__
    sqlite3.connect = connect
    sqlite3.dbapi2.connect = connect
    _sqlite.append((sqlite3, original))
    _hooked.append("sqlite3")


# -- psycopg 3 --------------------------------------------------------------------------------


def _query_text(cursor: Any, query: Any) -> object:
    if isinstance(query, _TEXT_TYPES):
        return query
    try:
        return query.as_string(cursor)
    except Exception:
        return str(query)


def _sync_method(method: Any) -> Any:
    def timed(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        start = _perf()
        try:
            return method(self, query, *args, **kwargs)
        finally:
            RECORDER.add(_query_text(self, query), _perf() - start)

    timed.__wrapped__ = method  # type: ignore[attr-defined]
    timed.__name__ = method.__name__
    timed.__doc__ = method.__doc__
    return timed


def _async_method(method: Any) -> Any:
    async def timed(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        start = _perf()
        try:
            return await method(self, query, *args, **kwargs)
        finally:
            RECORDER.add(_query_text(self, query), _perf() - start)

    timed.__wrapped__ = method  # type: ignore[attr-defined]
    timed.__name__ = method.__name__
    timed.__doc__ = method.__doc__
    return timed


def _hook_psycopg(psycopg: Any) -> None:
    for name in ("execute", "executemany"):
        setattr(psycopg.Cursor, name, _sync_method(getattr(psycopg.Cursor, name)))
        setattr(psycopg.AsyncCursor, name, _async_method(getattr(psycopg.AsyncCursor, name)))
    psycopg.Connection._audit_timed = True
    psycopg.AsyncConnection._audit_timed = True
    _hooked.append("psycopg")


# -- psycopg2 ---------------------------------------------------------------------------------


class _Psycopg2CursorTiming:
    """Mixed into a psycopg2 cursor class (a client-side cursor has the whole result when
    `execute` returns)."""

    def execute(self, query: Any, *args: Any, **kwargs: Any) -> Any:
        start = _perf()
        try:
            return super().execute(query, *args, **kwargs)  # type: ignore[misc]
        finally:
            RECORDER.add(_query_text(self, query), _perf() - start)

    def executemany(self, query: Any, *args: Any, **kwargs: Any) -> Any:
        start = _perf()
        try:
            return super().executemany(query, *args, **kwargs)  # type: ignore[misc]
        finally:
            RECORDER.add(_query_text(self, query), _perf() - start)


class _Psycopg2ConnectionTiming:
    """Mixed into a psycopg2 connection class: every cursor it makes is timed."""

    _audit_timed = True
    _audit_cursor_base: Any = None

    def cursor(self, *args: Any, **kwargs: Any) -> Any:
        # cursor(name=None, cursor_factory=None, withhold=False, scrollable=None)
        own = getattr(self, "cursor_factory", None)
        if len(args) > 1:
            factory = args[1] or own or self._audit_cursor_base
            args = (args[0], _timed(factory, _Psycopg2CursorTiming), *args[2:])
        else:
            factory = kwargs.get("cursor_factory") or own or self._audit_cursor_base
            kwargs["cursor_factory"] = _timed(factory, _Psycopg2CursorTiming)
        return super().cursor(*args, **kwargs)  # type: ignore[misc]


def _hook_psycopg2(psycopg2: Any) -> None:
    extensions = psycopg2.extensions
    original = psycopg2.connect

    def connect(
        dsn: Any = None, connection_factory: Any = None, cursor_factory: Any = None, **kwargs: Any
    ) -> Any:
        base = connection_factory or extensions.connection
        if isinstance(base, type) and issubclass(base, extensions.connection):
            connection_factory = _timed(
                base, _Psycopg2ConnectionTiming, {"_audit_cursor_base": extensions.cursor}
            )
        return original(
            dsn, connection_factory=connection_factory, cursor_factory=cursor_factory, **kwargs
        )

    connect.__wrapped__ = original  # type: ignore[attr-defined]
    connect.__doc__ = original.__doc__
    psycopg2.connect = connect
    _hooked.append("psycopg2")


# -- SQLAlchemy -------------------------------------------------------------------------------

_STARTS = "_audit_db_timing_starts"


def _driver_timed(conn: Any) -> bool:
    fairy = getattr(conn, "connection", None)
    driver = getattr(fairy, "driver_connection", None) or getattr(fairy, "dbapi_connection", None)
    return bool(getattr(driver, "_audit_timed", False))


def _hook_sqlalchemy(sqlalchemy: Any) -> None:
    import importlib  # noqa: PLC0415

    event = importlib.import_module("sqlalchemy.event")
    engine_class = importlib.import_module("sqlalchemy.engine").Engine

    def before(conn: Any, _cursor: Any, _statement: Any, _params: Any, _context: Any,
               _many: Any) -> None:
        conn.info.setdefault(_STARTS, []).append(_perf())

    def after(conn: Any, _cursor: Any, statement: Any, _params: Any, _context: Any,
              _many: Any) -> None:
        starts = conn.info.get(_STARTS)
        if not starts:
            return
        start = starts.pop()
        if not _driver_timed(conn):
            RECORDER.add(statement, _perf() - start)

    def failed(context: Any) -> None:
        starts = getattr(context.connection, "info", {}).get(_STARTS) if context else None
        if starts:
            starts.pop()

    event.listen(engine_class, "before_cursor_execute", before)
    event.listen(engine_class, "after_cursor_execute", after)
    event.listen(engine_class, "handle_error", failed)
    _hooked.append("sqlalchemy")


# -- Django -----------------------------------------------------------------------------------


def _django_execute(execute: Any, sql: Any, params: Any, many: Any, context: Any) -> Any:
    """Django's execute wrapper: one `execute` / `executemany` as Django runs it."""
    start = _perf()
    try:
        return execute(sql, params, many, context)
    finally:
        RECORDER.add(sql, _perf() - start)


def _django_connection_created(sender: Any = None, connection: Any = None, **_: Any) -> None:
    wrappers = getattr(connection, "execute_wrappers", None)
    driver = getattr(connection, "connection", None)
    if wrappers is None or getattr(driver, "_audit_timed", False):
        return  # the driver's own timing counts each statement, once
    if _django_execute not in wrappers:  # a connection made again keeps its wrapper
        wrappers.append(_django_execute)


def _hook_django(signals: Any) -> None:
    signals.connection_created.connect(
        _django_connection_created, weak=False, dispatch_uid="audit_db_timing"
    )
    _hooked.append("django")


# -- import hook ------------------------------------------------------------------------------

HOOKS = {
    "sqlite3": _hook_sqlite3,
    "psycopg": _hook_psycopg,
    "psycopg2": _hook_psycopg2,
    "sqlalchemy": _hook_sqlalchemy,
    "django.db.backends.signals": _hook_django,
}
DRIVERS = (
    "sqlite3",
    "psycopg",
    "psycopg2",
    "asyncpg",
    "pg8000",
    "aiopg",
    "pymysql",
    "MySQLdb",
    "mysql.connector",
    "aiomysql",
    "asyncmy",
    "oracledb",
    "cx_Oracle",
    "pyodbc",
    "pymssql",
    "ibm_db",
    "duckdb",
)
"""Database drivers whose presence in the service's process says it uses a database."""


def _drivers() -> list[str]:
    return [name for name in DRIVERS if name in sys.modules]


def _apply(name: str, module: Any) -> None:
    try:
        HOOKS[name](module)
    except Exception as exc:
        _problems.append(f"{name}: {type(exc).__name__}: {exc}")


class _HookedLoader:
    def __init__(self, loader: Any, name: str) -> None:
        self._loader = loader
        self._name = name

    def create_module(self, spec: Any) -> Any:
        return self._loader.create_module(spec)

    def exec_module(self, module: Any) -> None:
        # The module sees its real loader, as without the hook.
        module.__loader__ = self._loader
        if module.__spec__ is not None:
            module.__spec__.loader = self._loader
        self._loader.exec_module(module)
        _apply(self._name, module)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)


class _AfterImport:
    """A meta-path finder that patches a hooked module right after its first import."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if name not in HOOKS:
            return None
        for finder in sys.meta_path:
            if finder is self:
                continue
            find = getattr(finder, "find_spec", None)
            spec = find(name, path, target) if find is not None else None
            if spec is not None:
                break
        else:
            return None
        if spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        spec.loader = _HookedLoader(spec.loader, name)
        return spec


# -- stages -----------------------------------------------------------------------------------


def _write(path: str, payload: object) -> None:
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(payload, handle)
    os.replace(tmp, path)


def _read_stage(directory: str) -> str | None:
    try:
        with open(os.path.join(directory, STAGE_FILE), encoding="utf-8") as handle:
            return handle.read().strip() or None
    except OSError:
        return None


def calibrate(rounds: int = 5, calls: int = 2000) -> float:
    """Microseconds the timing adds to one statement: a timed no-op against the bare one."""
    recorder = Recorder()

    def bare(_self: object, query: object) -> None:
        return None

    def timed(self: object, query: object) -> None:
        start = _perf()
        try:
            return bare(self, query)
        finally:
            recorder.add(query, _perf() - start)

    # The fastest round of each: a busy machine only ever adds time to a round, so the
    # difference of the two minimums (unlike the minimum of differences) is not pulled below 0.
    fastest_bare = fastest_timed = float("inf")
    for _ in range(rounds):
        start = _perf()
        for _ in range(calls):
            bare(None, "SELECT 1")
        fastest_bare = min(fastest_bare, _perf() - start)
        start = _perf()
        for _ in range(calls):
            timed(None, "SELECT 1")
        fastest_timed = min(fastest_timed, _perf() - start)
    return round(max(fastest_timed - fastest_bare, 0.0) / calls / 1000.0, 3)


def calibrate_sqlite(rounds: int = 5, calls: int = 300) -> float:
    """Microseconds a timed sqlite3 statement (`conn.execute(...).fetchall()`) takes beyond
    the same statement on a plain connection, in memory: the whole cost the service sees."""
    if not _sqlite:
        return 0.0
    sqlite3, connect = _sqlite[0]
    cursor_class = type("Cursor", (_CursorTiming, sqlite3.Cursor),
                        {"_audit_recorder": Recorder()})
    connection_class = type("Connection", (_ConnectionTiming, sqlite3.Connection),
                            {"_audit_cursor_class": cursor_class})
    plain = connect(":memory:")
    timed = connect(":memory:", factory=connection_class)
    fastest_bare = fastest_timed = float("inf")  # as in `calibrate`
    try:
        for _ in range(rounds):
            start = _perf()
            for _ in range(calls):
                plain.execute("SELECT 1").fetchall()
            fastest_bare = min(fastest_bare, _perf() - start)
            start = _perf()
            for _ in range(calls):
                timed.execute("SELECT 1").fetchall()
            fastest_timed = min(fastest_timed, _perf() - start)
    finally:
        plain.close()
        timed.close()
    return round(max(fastest_timed - fastest_bare, 0.0) / calls / 1000.0, 3)


class _Stages:
    def __init__(self, directory: str) -> None:
        self.directory = directory
        self.stage: str | None = None
        self.lock = threading.Lock()
        self.overhead_us = 0.0

    def start(self) -> None:
        self.stage = _read_stage(self.directory)
        thread = threading.Thread(target=self._loop, name="audit-db-timing", daemon=True)
        thread.start()

    def _hello(self) -> None:
        _write(os.path.join(self.directory, f"hello-{os.getpid()}.json"), {
            "pid": os.getpid(), "python": sys.version.split()[0],
            "hooked": sorted(set(_hooked)),
            "problems": list(_problems),
        })

    def _loop(self) -> None:
        try:
            self._hello()
            while True:
                stage = _read_stage(self.directory)
                if stage != self.stage:
                    self.switch(stage)
                if stage == END:
                    return
                time.sleep(POLL_S)
        except Exception as exc:
            _problems.append(f"stage thread: {type(exc).__name__}: {exc}")

    def switch(self, new: str | None) -> None:
        if not self.overhead_us:
            # Measured at the first stage (the warm-up, by default), not while the service
            # starts, where it would compete with the service's own start-up.
            self.overhead_us = max(calibrate(), calibrate_sqlite())
        with self.lock:
            old, self.stage = self.stage, new
            stats, started = RECORDER.take()
            self._dump(old, stats, started)
            _write(os.path.join(self.directory, f"ack-{os.getpid()}.json"),
                   {"pid": os.getpid(), "stage": new})

    def _dump(self, stage: str | None, stats: dict[str, list[Any]], started: float) -> None:
        name = stage or "startup"
        if name == END or not re.fullmatch(r"\w+", name):
            return
        _write(
            os.path.join(self.directory, f"{name}-{os.getpid()}.json"),
            {
                "pid": os.getpid(),
                "stage": name,
                "started_at": started,
                "ended_at": time.time(),
                "overhead_us": self.overhead_us,
                "hooked": sorted(set(_hooked)),
                "drivers": _drivers(),
                "problems": list(_problems),
                "bounds_ms": list(BOUNDS_MS),
                "statements": [
                    {
                        "text": key,
                        "count": e[0],
                        "total_ms": e[1] / 1e6,
                        "max_ms": e[2] / 1e6,
                        "histogram": e[3],
                    }
                    for key, e in stats.items()
                ],
            },
        )

    def at_exit(self) -> None:
        with self.lock:
            if self.stage != END:
                stats, started = RECORDER.take()
                self._dump(self.stage, stats, started)

    def after_fork(self) -> None:
        self.lock = threading.Lock()
        RECORDER.lock = threading.Lock()
        RECORDER.take()
        self.start()


_installed: list[_Stages] = []


def install() -> None:
    """Hook the drivers (now, or when the service imports them) and start the stage thread."""
    directory = os.environ.get(ENV_DIR)
    if not directory or _installed:
        return
    stages = _Stages(directory)
    _installed.append(stages)
    sys.meta_path.insert(0, _AfterImport())
    for name in HOOKS:
        if name in sys.modules:
            _apply(name, sys.modules[name])
    stages.start()
    atexit.register(stages.at_exit)
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=stages.after_fork)


def chain_sitecustomize(own_file: str) -> None:
    """Run the `sitecustomize` the service would have run without ours (the next one on
    sys.path), as the module `sitecustomize`; its errors surface as they would without us."""
    import importlib.machinery  # noqa: PLC0415
    import importlib.util  # noqa: PLC0415

    own_dir = os.path.dirname(os.path.abspath(own_file))
    path = [p for p in sys.path if os.path.abspath(p or os.curdir) != own_dir]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", path)
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    sys.modules["sitecustomize"] = module
    spec.loader.exec_module(module)
