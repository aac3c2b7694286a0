"""The database timing's parts on their own: normalising statements, merging the processes'
aggregates, the conditions and details, the options, and the instrumentation inside a real
Python process (SQLite results unchanged, the service's own sitecustomize still run)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from auditor.errors import ConfigError, GateError
from gates.load.db import aggregates, instrument, report
from gates.load.db import settings as db_settings
from gates.load.db.aggregates import StageTimings, StatementStats
from gates.load.db.observer import Observed, PythonTiming, write_stage


@pytest.mark.parametrize(("sql", "expected"), [
    ("SELECT * FROM items WHERE id = 42", "SELECT * FROM items WHERE id = ?"),
    ("select  *\n  from t where name = 'O''Brien' and x = %s",
     "select * from t where name = ? and x = ?"),
    ("SELECT * FROM t WHERE id IN (1, 2, 3)", "SELECT * FROM t WHERE id IN (...)"),
    ("SELECT * FROM t WHERE id IN ($1, $2)", "SELECT * FROM t WHERE id IN (...)"),
    ("INSERT INTO t (a, b) VALUES (?, ?), (?, ?);", "INSERT INTO t (a, b) VALUES (...)"),
    ("SELECT x FROM t2 WHERE v = :value AND w = %(w)s", "SELECT x FROM t2 WHERE v = ? AND w = ?"),
    ("SELECT col1, -1.5e3 FROM t1", "SELECT col1, ? FROM t1"),
    ("SELECT '2024-01-01'::date", "SELECT ?::date"),
])
@pytest.mark.unit
def test_normalise_keeps_the_shape_and_drops_the_values(sql: str, expected: str) -> None:
    assert instrument.normalise(sql) == expected


def _dump(pid: int, statements: list[dict[str, object]], overhead: float = 1.5) -> str:
    return json.dumps({
        "pid": pid, "stage": "normal", "started_at": 100.0 + pid, "ended_at": 200.0 + pid,
        "overhead_us": overhead, "hooked": ["sqlite3"], "problems": [],
        "bounds_ms": list(instrument.BOUNDS_MS), "statements": statements,
    })


@pytest.mark.unit
def test_processes_are_merged_statement_by_statement(tmp_path: Path) -> None:
    buckets = len(instrument.BOUNDS_MS) + 1
    one = [0] * buckets
    one[3] = 2
    (tmp_path / "normal-1.json").write_text(_dump(1, [
        {"text": "SELECT ?", "count": 2, "total_ms": 1.0, "max_ms": 0.7, "histogram": one},
    ]))
    (tmp_path / "normal-2.json").write_text(_dump(2, [
        {"text": "SELECT ?", "count": 3, "total_ms": 2.0, "max_ms": 1.2, "histogram": one},
        {"text": "UPDATE t SET a = ?", "count": 1, "total_ms": 5.0, "max_ms": 5.0},
    ], overhead=2.0))
    (tmp_path / "peak-1.json").write_text(_dump(1, []))
    stage = aggregates.read_stage(tmp_path, "normal")
    assert stage.processes == 2
    assert stage.count == 6
    assert stage.total_ms == pytest.approx(8.0)
    assert stage.avg_ms == pytest.approx(8.0 / 6)
    assert stage.max_ms == 5.0
    assert stage.overhead_us == 2.0
    assert stage.window == (101.0, 202.0)
    select = next(s for s in stage.statements if s.text == "SELECT ?")
    assert (select.count, select.max_ms, select.histogram[3]) == (5, 1.2, 4)
    assert aggregates.read_stage(tmp_path, "peak").count == 0


@pytest.mark.unit
def test_a_damaged_file_is_an_error_naming_it(tmp_path: Path) -> None:
    (tmp_path / "normal-7.json").write_text("{not json")
    with pytest.raises(GateError, match=r"normal-7\.json"):
        aggregates.read_stage(tmp_path, "normal")


def _observed(statements: list[StatementStats], **extra: object) -> Observed:
    observed = Observed("python", source="the instrumentation", overhead_us=1.2,
                        hooked=("sqlite3",))
    observed.stages = {"normal": StageTimings(tuple(statements)),
                       "peak": StageTimings(tuple(statements))}
    for key, value in extra.items():
        setattr(observed, key, value)
    return observed


@pytest.mark.unit
def test_conditions_come_from_the_normal_stage_and_n_plus_one_is_flagged() -> None:
    statements = [
        StatementStats("SELECT * FROM items", 10, 50.0, 20.0),
        StatementStats("SELECT name FROM customers WHERE id = ?", 60, 6.0, 0.5),
    ]
    result = report.measurement(_observed(statements), {"normal": 10, "peak": 40})
    assert result.values == {"db_avg_ms": round(56.0 / 70, 3), "db_max_ms": 20.0}
    assert not result.skipped
    assert not result.unmeasured
    assert result.details is not None
    normal = result.details.stages["normal"]
    assert [s.text for s in normal.top] == ["SELECT * FROM items",
                                            "SELECT name FROM customers WHERE id = ?"]
    assert [s.text for s in normal.n_plus_one] == [
        "SELECT name FROM customers WHERE id = ?"]
    assert normal.n_plus_one[0].per_request == 6.0
    # At peak the same statements over four times the requests are no longer flagged.
    assert result.details.stages["peak"].n_plus_one == ()
    assert any("1.2 µs" in note for note in result.notes)


@pytest.mark.unit
def test_no_statement_skips_and_an_unreadable_source_is_unmeasured() -> None:
    empty = report.measurement(_observed([]), {"normal": 10})
    assert set(empty.skipped) == {"db_avg_ms", "db_max_ms"}
    assert "ran no database statement" in empty.skipped["db_max_ms"]
    not_loaded = report.measurement(_observed([], loaded=False), {"normal": 10})
    assert "-E or -I" in not_loaded.skipped["db_avg_ms"]
    failed = report.measurement(_observed([], error="could not connect"), {"normal": 10})
    assert failed.unmeasured == {"db_avg_ms": "could not connect",
                                 "db_max_ms": "could not connect"}
    off = report.measurement(Observed("off"), {"normal": 10})
    assert "off" in off.skipped["db_avg_ms"]
    assert off.details is None


@pytest.mark.parametrize(("options", "mode"), [
    ({}, "python"),
    ({"db_timing": "auto", "database_url_env": "DATABASE_URL"}, "postgres"),
    ({"database_url": "postgresql://u@h/db"}, "postgres"),
    ({"db_timing": "python", "database_url": "postgresql://u@h/db"}, "python"),
    ({"db_timing": "off"}, "off"),
])
@pytest.mark.unit
def test_auto_prefers_postgres_when_a_url_is_configured(
    options: dict[str, object], mode: str
) -> None:
    assert db_settings.parse(options).mode == mode


@pytest.mark.parametrize(("options", "needle"), [
    ({"db_timing": "mysql"}, "use one of auto, python, postgres, off"),
    ({"db_timing": "postgres"}, "needs the database"),
    ({"database_url": "postgresql://a/b", "database_url_env": "X"}, "keep one"),
    ({"database_url": "mysql://a/b"}, "postgresql:// URL"),
])
@pytest.mark.unit
def test_bad_database_options_are_config_errors(options: dict[str, object], needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        db_settings.parse(options)


SERVICE = """
import json, sqlite3, sys, time
from pathlib import Path

class Row(sqlite3.Row):
    pass

class MyConnection(sqlite3.Connection):
    marker = "mine"

db = sys.argv[1]
conn = sqlite3.connect(db, factory=MyConnection)
conn.row_factory = sqlite3.Row
conn.executescript(
    "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT);"
    "DELETE FROM t;"
)
conn.executemany("INSERT INTO t (v) VALUES (?)", [(str(i),) for i in range(50)])
conn.commit()
Path(sys.argv[2]).joinpath("stage").write_text("normal")
time.sleep(0.3)
out = {
    "factory": [type(conn).__name__, isinstance(conn, MyConnection)],
    "marker": conn.marker,
    "fetchall": [tuple(r) for r in conn.execute("SELECT id, v FROM t WHERE id <= ?", (3,))
                 .fetchall()],
    "iterate": [r["v"] for r in conn.execute("SELECT v FROM t WHERE id > 47 ORDER BY id")],
    "fetchmany": [tuple(r) for r in conn.cursor().execute("SELECT id FROM t").fetchmany(2)],
    "one": tuple(conn.execute("SELECT COUNT(*) FROM t").fetchone()),
    "lastrowid": conn.execute("INSERT INTO t (v) VALUES ('x')").lastrowid,
}
try:
    conn.execute("SELECT * FROM missing")
except sqlite3.OperationalError as exc:
    out["error"] = str(exc)
print(json.dumps(out))
"""


def _run_service(tmp_path: Path, env: dict[str, str]) -> dict[str, object]:
    script = tmp_path / "service.py"
    script.write_text(SERVICE)
    db = tmp_path / f"{len(list(tmp_path.glob('*.db')))}.db"
    result = subprocess.run([sys.executable, str(script), str(db), str(tmp_path / "db-timing")],
                            capture_output=True, text=True, env=env, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    data: dict[str, object] = json.loads(result.stdout)
    return data


def _base_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items()
            if k not in ("PYTHONPATH", instrument.ENV_DIR) and not k.startswith("COVERAGE_")}


def test_instrumented_sqlite_gives_the_same_results_and_times_each_statement(
    tmp_path: Path,
) -> None:
    (tmp_path / "db-timing").mkdir()
    plain = _run_service(tmp_path, _base_env())
    timing = PythonTiming(tmp_path)
    env = {**_base_env(), **timing.service_env({}, {})}
    timed = _run_service(tmp_path, env)
    # The service's own connection class (subclassed to time it), and the same results.
    assert timed == plain
    assert timed["factory"] == ["MyConnection", True]
    write_stage(timing.control, "end")
    deadline = 50
    while not list(timing.directory.glob("normal-*.json")) and deadline:
        deadline -= 1
        subprocess.run(["sleep", "0.1"], check=False)
    stage = aggregates.read_stage(timing.directory, "normal")
    counts = {s.text: s.count for s in stage.statements}
    assert counts == {
        "SELECT id, v FROM t WHERE id <= ?": 1,
        "SELECT v FROM t WHERE id > ? ORDER BY id": 1,
        "SELECT id FROM t": 1,
        "SELECT COUNT(*) FROM t": 1,
        "INSERT INTO t (v) VALUES (?)": 1,
        "SELECT * FROM missing": 1,
    }
    assert stage.overhead_us is not None
    assert 0 < stage.overhead_us < 100
    assert stage.hooked == ("sqlite3",)
    startup = aggregates.read_stage(timing.directory, "startup")
    assert {s.text for s in startup.statements} >= {"INSERT INTO t (v) VALUES (?)"}


def test_the_services_own_sitecustomize_still_runs(tmp_path: Path) -> None:
    own = tmp_path / "own"
    own.mkdir()
    (own / "sitecustomize.py").write_text(textwrap.dedent("""
        import os
        os.environ["OWN_SITECUSTOMIZE"] = "ran"
        OWN = True
    """))
    timing = PythonTiming(tmp_path)
    env = {**_base_env(), **timing.service_env({"PYTHONPATH": str(own)}, {})}
    check = ("import os, sys, sitecustomize; "
             "print(os.environ.get('OWN_SITECUSTOMIZE'), getattr(sitecustomize, 'OWN', None), "
             "'audit_db_timing' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True,
                            env=env, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["ran", "True", "True"]
    write_stage(timing.control, "end")


def test_sqlite_connect_keeps_its_signature_for_positional_factories(tmp_path: Path) -> None:
    timing = PythonTiming(tmp_path)
    env = {**_base_env(), **timing.service_env({}, {})}
    check = ("import sqlite3\n"
             "class C(sqlite3.Connection):\n    pass\n"
             "c = sqlite3.connect(':memory:', 5.0, 0, '', True, C)\n"
             "print(isinstance(c, C), c.execute('SELECT 1').fetchone()[0])\n")
    result = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True,
                            env=env, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "1"]
    write_stage(timing.control, "end")
    assert sqlite3.connect(":memory:").execute("SELECT 2").fetchone() == (2,)


SQLALCHEMY_SERVICE = """
import sqlite3, sys, time
from pathlib import Path
import sqlalchemy

hooked = sqlalchemy.create_engine("sqlite://")
# A connection the sqlite3 hook never saw: only SQLAlchemy's events can time it.
unhooked = sqlite3.connect.__wrapped__
plain = sqlalchemy.create_engine("sqlite://", creator=lambda: unhooked(":memory:"))
Path(sys.argv[1]).joinpath("stage").write_text("normal")
time.sleep(0.3)
for engine, table in ((hooked, "a"), (plain, "b")):
    with engine.begin() as conn:
        conn.execute(sqlalchemy.text(f"CREATE TABLE {table} (x INTEGER)"))
        conn.execute(sqlalchemy.text(f"INSERT INTO {table} VALUES (:x)"), [{"x": 1}, {"x": 2}])
        print(conn.execute(sqlalchemy.text(f"SELECT SUM(x) FROM {table}")).scalar())
"""


def test_sqlalchemy_statements_are_timed_once_whatever_the_driver(tmp_path: Path) -> None:
    pytest.importorskip("sqlalchemy", reason="SQLAlchemy is not installed (test extras have it)")
    timing = PythonTiming(tmp_path)
    script = tmp_path / "service.py"
    script.write_text(SQLALCHEMY_SERVICE)
    env = {**_base_env(), **timing.service_env({}, {})}
    result = subprocess.run([sys.executable, str(script), str(timing.directory)],
                            capture_output=True, text=True, env=env, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["3", "3"]
    stage = aggregates.read_stage(timing.directory, "normal")
    counts = {s.text: s.count for s in stage.statements}
    # SQLAlchemy's own first-connect query on the hooked engine is a statement too.
    assert counts.pop("PRAGMA read_uncommitted", 1) == 1
    # The hooked engine's statements through sqlite3, the other's through SQLAlchemy's events;
    # none twice (executemany is one execution).
    assert counts == {
        "CREATE TABLE a (x INTEGER)": 1, "INSERT INTO a VALUES (?)": 1, "SELECT SUM(x) FROM a": 1,
        "CREATE TABLE b (x INTEGER)": 1, "INSERT INTO b VALUES (?)": 1, "SELECT SUM(x) FROM b": 1,
    }
    assert set(stage.hooked) == {"sqlite3", "sqlalchemy"}
