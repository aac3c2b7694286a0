"""A throwaway PostgreSQL cluster for the history tests (Debian's `postgresql` package), and a
store URL fixture that gives each test a fresh SQLite file or a fresh PostgreSQL database."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

NOT_INSTALLED = (
    "PostgreSQL is not installed (Debian's `postgresql` package, which scripts/test.sh installs "
    "when it runs as root with apt-get)"
)


def _bindir() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A cluster of its own on a free loopback port and a socket in its own directory, run as
    the `postgres` user when the tests run as root (the server refuses to run as root); stopped
    and removed at the end of the session. Yields the URL of its `postgres` database."""
    bindir = _bindir()
    if bindir is None:
        pytest.skip(NOT_INSTALLED)
    as_root = os.geteuid() == 0
    base = Path(tempfile.mkdtemp(prefix="audit-pg-"))
    prefix: list[str] = []
    if as_root:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(base)
            pytest.skip("the `postgres` user the package creates is missing; " + NOT_INSTALLED)
        os.chown(base, owner.pw_uid, owner.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    data, port = base / "data", _free_port()

    def run(*cmd: str | Path) -> None:
        proc = subprocess.run(
            [*prefix, *map(str, cmd)], capture_output=True, text=True, timeout=120, check=False,
            cwd=base,
        )
        assert proc.returncode == 0, f"{cmd[0]} failed:\n{proc.stdout}\n{proc.stderr}"

    run(bindir / "initdb", "-D", data, "-A", "trust", "-U", "audit", "-E", "UTF8", "--no-sync")
    options = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off"
    run(bindir / "pg_ctl", "-D", data, "-l", base / "server.log", "-w", "-t", "60",
        "-o", options, "start")
    try:
        yield f"postgresql://audit@127.0.0.1:{port}/postgres"
    finally:
        run(bindir / "pg_ctl", "-D", data, "-m", "fast", "-w", "stop")
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def pg_url(postgres_server: str) -> str:
    """A new, empty database on the session's server: the schema is created from nothing."""
    name = f"audit_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return postgres_server.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a test's history lives: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "store" / "history.sqlite")
    url: str = request.getfixturevalue("pg_url")
    return url
