"""Transaction control and session commands (BEGIN, COMMIT, SAVEPOINT, SET, SHOW, ...) are not
queries: neither database timing mode counts them, so both give the same statement figures.
The python mode runs inside real Python processes, the postgres mode reads a real server's
pg_stat_statements (the throwaway server of tests/postgres.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gates.load.db import aggregates, instrument
from gates.load.db.observer import PythonTiming
from gates.load.db.pg_stat import PgStatements
from tests.postgres import Postgres, create_database, execute


@pytest.mark.parametrize("sql", [
    "BEGIN", "begin;", "BEGIN IMMEDIATE TRANSACTION", "START TRANSACTION ISOLATION LEVEL "
    "SERIALIZABLE", "COMMIT", "commit transaction ;", "END", "ROLLBACK", "ABORT",
    "ROLLBACK TO SAVEPOINT s1", "SAVEPOINT s1", "RELEASE SAVEPOINT s1", "RELEASE s1",
    "SET search_path TO app", "SET x = 'a;b'", "set local statement_timeout = $1",
    "SHOW search_path", "RESET ALL", "DISCARD ALL", "PREPARE TRANSACTION 'tx1'",
    "/* app */ BEGIN", "-- the app\nCOMMIT", "\n  SAVEPOINT s2",
])
@pytest.mark.unit
def test_transaction_control_and_session_commands_are_not_queries(sql: str) -> None:
    assert instrument.transaction_control(sql)


@pytest.mark.parametrize("sql", [
    "SELECT 1", "UPDATE t SET a = 1", "INSERT INTO settings VALUES (1)",
    "SELECT * FROM settings", "SELECT set_config('a', 'b', false)", "SHOWCASE",
    "BEGIN; INSERT INTO t VALUES (1); COMMIT", "WITH x AS (SELECT 1) SELECT * FROM x",
    "PREPARE q AS SELECT 1", "/* BEGIN */ SELECT 1", "",
])
@pytest.mark.unit
def test_queries_are_counted(sql: str) -> None:
    assert not instrument.transaction_control(sql)


@pytest.mark.unit
def test_the_recorder_leaves_transaction_control_out() -> None:
    recorder = instrument.Recorder()
    for sql in ("BEGIN", "SELECT 1", b"COMMIT", "SAVEPOINT a", "SELECT 2", "RELEASE a"):
        recorder.add(sql, 1000)
    stats, _ = recorder.take()
    assert {text: entry[0] for text, entry in stats.items()} == {"SELECT ?": 2}


SQLITE_SERVICE = """
import sqlite3, sys, time
from pathlib import Path

conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)")
Path(sys.argv[2]).joinpath("stage").write_text("normal")
time.sleep(0.3)
conn.execute("BEGIN IMMEDIATE")
conn.execute("INSERT INTO t (v) VALUES (?)", (1,))
conn.execute("SAVEPOINT s1")
conn.execute("UPDATE t SET v = v + 1 WHERE id = ?", (1,))
conn.execute("RELEASE SAVEPOINT s1")
conn.execute("COMMIT")
conn.execute("BEGIN")
print(conn.execute("SELECT v FROM t WHERE id = ?", (1,)).fetchone()[0])
conn.execute("ROLLBACK")
"""


def _base_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items()
            if k not in ("PYTHONPATH", instrument.ENV_DIR) and not k.startswith("COVERAGE_")}


def _instrumented(tmp_path: Path, script: str, *args: str) -> dict[str, int]:
    """Run SCRIPT with the instrumentation, in a process of its own; the statements it counted
    in the normal stage (which SCRIPT begins), by text."""
    timing = PythonTiming(tmp_path)
    path = tmp_path / "service.py"
    path.write_text(script, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(path), *args, str(timing.directory)], capture_output=True,
        text=True, env={**_base_env(), **timing.service_env({}, {})}, timeout=60, check=False,
    )
    assert result.returncode == 0, result.stderr
    stage = aggregates.read_stage(timing.directory, "normal")
    return {s.text: s.count for s in stage.statements}


def test_the_python_mode_counts_the_queries_of_a_sqlite_transaction_only(
    tmp_path: Path,
) -> None:
    counted = _instrumented(tmp_path, SQLITE_SERVICE, str(tmp_path / "t.db"))
    assert counted == {
        "INSERT INTO t (v) VALUES (?)": 1,
        "UPDATE t SET v = v + ? WHERE id = ?": 1,
        "SELECT v FROM t WHERE id = ?": 1,
    }


PSYCOPG_SERVICE = """
import sys, time
from pathlib import Path

import psycopg

url = sys.argv[1]
Path(sys.argv[2]).joinpath("stage").write_text("normal")
time.sleep(0.3)
with psycopg.connect(url) as conn:  # psycopg begins each transaction itself
    conn.execute("SET application_name TO 'tx_test'")
    conn.execute("SHOW search_path").fetchall()
    conn.execute("SELECT v FROM tx_items WHERE id = %s", (1,)).fetchall()
    conn.execute("SAVEPOINT s1")
    conn.execute("UPDATE tx_items SET v = v + 1 WHERE id = %s", (1,))
    conn.execute("RELEASE SAVEPOINT s1")
    conn.commit()
    conn.execute("SELECT v FROM tx_items WHERE id = %s", (2,)).fetchall()
    conn.rollback()
    with conn.transaction():
        conn.execute("SELECT v FROM tx_items WHERE id = %s", (3,)).fetchall()
with psycopg.connect(url, autocommit=True) as conn:
    conn.execute("START TRANSACTION ISOLATION LEVEL READ COMMITTED")
    conn.execute("SELECT count(*) FROM tx_items").fetchall()
    conn.execute("COMMIT")
    conn.execute("BEGIN")
    conn.execute("ROLLBACK")
    conn.execute("RESET application_name")
    conn.execute("DISCARD ALL")
"""
QUERIES = {
    "SELECT v FROM tx_items WHERE id = ?": 3,
    "UPDATE tx_items SET v = v + ? WHERE id = ?": 1,
    "SELECT count(*) FROM tx_items": 1,
}


@pytest.mark.slow
def test_both_modes_count_the_same_statements_of_postgresql_transactions(
    tmp_path: Path, postgres: Postgres,
) -> None:
    url = create_database(postgres, "tx_control")
    execute(url, "CREATE TABLE tx_items (id integer PRIMARY KEY, v integer NOT NULL);"
                 "INSERT INTO tx_items VALUES (1, 0), (2, 0), (3, 0)")
    reader = PgStatements.connect(url)
    try:
        reader.reset()
        # The same run, observed both ways: in the process, and by the server.
        in_process = _instrumented(tmp_path, PSYCOPG_SERVICE, url)
        on_server = {s.text: s.count for s in reader.read().statements}
    finally:
        reader.close()
    assert in_process == QUERIES
    assert on_server == QUERIES
