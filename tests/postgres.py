"""A throwaway PostgreSQL server for the tests, with pg_stat_statements preloaded.

Debian's `postgresql` package (scripts/test.sh installs it) provides initdb and pg_ctl; the
server refuses to run as root, so under root the cluster belongs to the `postgres` user the
package creates. It lives in a temporary directory, listens on 127.0.0.1 on a port of its own
(and a socket in that directory), trusts local connections, and is stopped and deleted at the
end of the session.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from gates.service import free_port

SUPERUSER = "postgres"
CONFIG = """
listen_addresses = '127.0.0.1'
shared_preload_libraries = 'pg_stat_statements'
pg_stat_statements.track = top
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 50
"""


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


def _owner() -> str | None:
    """Who runs the server: `postgres` when the tests run as root, else the current user."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SUPERUSER)
    except KeyError:
        return ""
    return SUPERUSER


def _run(cmd: list[str], user: str | None) -> None:
    result = subprocess.run(cmd, user=user, capture_output=True, text=True, timeout=120,
                            check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {result.stdout}{result.stderr}")


def _sql(server: Postgres, database: str, sql: str) -> None:
    import psycopg  # noqa: PLC0415  # the test extras install it; imported when a test needs it

    with psycopg.connect(server.url(database), autocommit=True) as conn:
        conn.execute(sql.encode())


def create_database(server: Postgres, name: str, *, extension: bool = True) -> str:
    """A fresh database (pg_stat_statements created in it unless told not to); its URL."""
    _sql(server, "postgres", f"DROP DATABASE IF EXISTS {name}")
    _sql(server, "postgres", f"CREATE DATABASE {name}")
    if extension:
        _sql(server, name, "CREATE EXTENSION pg_stat_statements")
    return server.url(name)


def execute(url: str, sql: str) -> None:
    """Run statements on the database at `url`."""
    import psycopg  # noqa: PLC0415

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.encode())


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """A PostgreSQL server for the whole session; skipped only where none can be installed."""
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    if initdb is None or pg_ctl is None:
        pytest.skip("PostgreSQL is not installed (scripts/test.sh installs Debian's "
                    "`postgresql` package where apt-get is available)")
    pytest.importorskip("psycopg", reason="psycopg is not installed (the test extras have it)")
    user = _owner()
    if user == "":
        pytest.skip("running as root, and there is no `postgres` user to run the server as")
    directory = Path(tempfile.mkdtemp(prefix="audit-pg-"))
    if user:
        shutil.chown(directory, user)
    data = directory / "data"
    _run([initdb, "-D", str(data), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8",
          "--no-sync"], user)
    port = free_port()
    with (data / "postgresql.conf").open("a", encoding="utf-8") as handle:
        handle.write(CONFIG + f"port = {port}\nunix_socket_directories = '{directory}'\n")
    log = directory / "server.log"
    try:
        _run([pg_ctl, "-D", str(data), "-l", str(log), "-w", "-t", "60", "start"], user)
        yield Postgres(port, directory)
    finally:
        with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
            _run([pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"], user)
        shutil.rmtree(directory, ignore_errors=True)
