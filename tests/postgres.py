"""The suite's one throwaway PostgreSQL server, with pg_stat_statements preloaded.

Debian's `postgresql` package (scripts/test.sh installs it) provides initdb and postgres; the
server refuses to run as root, so under root it runs as the `postgres` user the package creates.
It lives in a temporary directory, listens on 127.0.0.1 on a port of its own (and a socket in
that directory) and trusts local connections. It runs as a child of the test process, never as
a daemon: stopped and deleted at the end of the session, and told to stop by the kernel if the
test process dies first (a CI timeout's SIGKILL included), so no run leaves it behind.
One server per test process: with parallel workers (pytest-xdist), each worker that runs a
test needing it starts its own.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from gates.service import free_port

SUPERUSER = "postgres"
SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "shared_preload_libraries": "pg_stat_statements",
    "pg_stat_statements.track": "top",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "50",
}
PR_SET_PDEATHSIG = 1
STARTUP_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Postgres:
    """A running server: its port and how to reach a database on it."""

    port: int
    directory: Path

    def url(self, database: str = "postgres", user: str = SUPERUSER) -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}"


def _binary(name: str) -> str | None:
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    return str(found[-1]) if found else shutil.which(name)


def _owner() -> pwd.struct_passwd | None:
    """Who runs the server: `postgres` when the tests run as root, else the current user."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(SUPERUSER)
    except KeyError:
        pytest.skip("running as root, and there is no `postgres` user to run the server as")


def _as_owner(owner: pwd.struct_passwd | None, *, die_with_parent: bool) -> Callable[[], None]:
    """Run in the child before exec: become OWNER, then (credentials changes clear it) ask the
    kernel for SIGINT, PostgreSQL's fast shutdown, when the test process dies."""
    libc = ctypes.CDLL(None, use_errno=True)

    def prepare() -> None:
        if owner is not None:
            os.setgid(owner.pw_gid)
            os.setuid(owner.pw_uid)
        if die_with_parent:
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGINT)

    return prepare


def _initdb(initdb: str, data: Path, owner: pwd.struct_passwd | None) -> None:
    result = subprocess.run(
        [initdb, "-D", str(data), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8", "--no-sync"],
        capture_output=True, text=True, timeout=120, check=False,
        preexec_fn=_as_owner(owner, die_with_parent=False),  # no threads yet
    )
    if result.returncode != 0:
        raise RuntimeError(f"initdb failed: {result.stdout}{result.stderr}")


def _wait_ready(server: subprocess.Popen[bytes], postgres: Postgres, log: Path) -> None:
    import psycopg  # noqa: PLC0415  # the test extras install it; imported when a test needs it

    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while True:
        if server.poll() is not None:
            raise RuntimeError(f"PostgreSQL exited at start: {log.read_text(errors='replace')}")
        try:
            with psycopg.connect(postgres.url(), connect_timeout=2):
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@contextlib.contextmanager
def running_server() -> Iterator[Postgres]:
    """Start a server in a new temporary directory; stop it and delete the directory after."""
    initdb, binary = _binary("initdb"), _binary("postgres")
    if initdb is None or binary is None:
        pytest.skip("PostgreSQL is not installed (scripts/test.sh installs Debian's "
                    "`postgresql` package where apt-get is available)")
    pytest.importorskip("psycopg", reason="psycopg is not installed (the test extras have it)")
    owner = _owner()
    directory = Path(tempfile.mkdtemp(prefix="audit-pg-"))
    try:
        if owner is not None:
            os.chown(directory, owner.pw_uid, owner.pw_gid)
        data = directory / "data"
        _initdb(initdb, data, owner)
        port = free_port()
        settings = {**SETTINGS, "port": str(port), "unix_socket_directories": str(directory)}
        options = [arg for key, value in settings.items() for arg in ("-c", f"{key}={value}")]
        log = directory / "server.log"
        with log.open("wb") as out:
            server = subprocess.Popen(
                [binary, "-D", str(data), *options], stdout=out, stderr=subprocess.STDOUT,
                preexec_fn=_as_owner(owner, die_with_parent=True),  # noqa: PLW1509
            )
        try:
            found = Postgres(port, directory)
            _wait_ready(server, found, log)
            yield found
        finally:
            _stop(server)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """The session's PostgreSQL server; skipped (failed under CI) only where none is installed."""
    with running_server() as server:
        yield server


def _sql(server: Postgres, database: str, sql: str) -> None:
    import psycopg  # noqa: PLC0415

    with psycopg.connect(server.url(database), autocommit=True) as conn:
        conn.execute(sql.encode())


def create_database(server: Postgres, name: str | None = None, *, extension: bool = True) -> str:
    """A fresh database (a new unique name unless one is given; pg_stat_statements created in
    it unless told not to); its URL."""
    name = name or f"audit_{uuid.uuid4().hex[:12]}"
    _sql(server, "postgres", f'DROP DATABASE IF EXISTS "{name}"')
    _sql(server, "postgres", f'CREATE DATABASE "{name}"')
    if extension:
        _sql(server, name, "CREATE EXTENSION pg_stat_statements")
    return server.url(name)


def execute(url: str, sql: str) -> None:
    """Run statements on the database at `url`."""
    import psycopg  # noqa: PLC0415

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.encode())


@pytest.fixture
def pg_url(postgres: Postgres) -> str:
    """A new, empty database on the session's server: the schema is created from nothing."""
    return create_database(postgres, extension=False)
