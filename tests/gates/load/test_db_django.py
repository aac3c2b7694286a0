"""Database timing of Django services: through psycopg2 under load on a real PostgreSQL, through
Django's execute wrapper for a driver nothing else times, and an untimed driver reported as
what it is rather than as a service without a database."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from gates.load.db import aggregates, instrument, report
from gates.load.db.aggregates import StageTimings
from gates.load.db.observer import Observed, PythonTiming, write_stage
from tests.helpers import FIXTURES, condition, gate, load_scorecard, run_cli, write_project
from tests.postgres import Postgres, create_database

SERVER = FIXTURES / "django_pg_server.py"
COUNT_TEXT = "SELECT COUNT(*) FROM items"
ONE_TEXT = "SELECT id, name FROM items WHERE id = ?"
TIME_ZONE_TEXT = "SELECT set_config(?, ?, false)"


@pytest.mark.slow
def test_a_django_service_on_psycopg2_gets_its_statements_timed(
    tmp_path: Path, postgres: Postgres
) -> None:
    pytest.importorskip("psycopg2", reason="psycopg2 is not installed (the test extras have it)")
    url = create_database(postgres, extension=False)
    start = shlex.join(["python", str(SERVER), "--port", "{port}", "--database", url])
    root = write_project(
        tmp_path / "svc",
        {
            "pyproject.toml": f"""
        [project]
        name = "svc"
        version = "0"

        [tool.audit.load]
        start = {json.dumps(start)}
        health = "/health"
        users = 2
        peak_users = 2
        warmup = 0
        duration = 2
        wait = "constant_throughput(5)"
        db_timing = "python"
        endpoints = [{{ path = "/items" }}]
    """
        },
    )
    out = tmp_path / "out"
    result = run_cli(
        "run", root, "--gates", "load", "--out", out, "--python", sys.executable, timeout=180
    )
    assert (out / "scorecard.json").is_file(), result.stdout + result.stderr
    card = load_scorecard(out)
    load = gate(card, "load")
    average = condition(card, "load", "db_avg_ms")
    assert average["status"] in ("passed", "failed"), (result.stderr, average, load["reason"])
    assert average["value"] > 0
    database = load["details"]["database"]
    assert {"psycopg2", "django"} <= set(database["hooked"])
    normal = database["stages"]["normal"]
    # Each request's new connection sets its time zone (Django's backend), then the view's two
    # statements: three a request, each counted once (by psycopg2's hook, not again by Django's
    # wrapper); a request at a stage boundary may fall on either side.
    counts = {s["text"]: s["count"] for s in normal["top"]}
    assert set(counts) == {COUNT_TEXT, ONE_TEXT, TIME_ZONE_TEXT}
    assert max(counts.values()) - min(counts.values()) <= 1, counts
    assert normal["per_request"] == pytest.approx(3, abs=0.4)


DJANGO_SERVICE = """
import sqlite3, sys, time
from pathlib import Path

if sys.argv[2] == "untimed-driver":
    # A driver the instrumentation does not time: only Django's execute wrapper sees it.
    sqlite3.connect = sqlite3.dbapi2.connect = sqlite3.connect.__wrapped__

import django
from django.conf import settings

settings.configure(DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3",
                                          "NAME": ":memory:"}})
django.setup()
from django.db import connection

Path(sys.argv[1]).joinpath("stage").write_text("normal")
time.sleep(0.3)
with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE t (x INTEGER)")
    cursor.executemany("INSERT INTO t VALUES (%s)", [(1,), (2,)])
    cursor.execute("SELECT SUM(x) FROM t")
    print(cursor.fetchone()[0])
connection.close()
with connection.cursor() as cursor:  # a connection made again
    cursor.execute("SELECT COUNT(*) FROM t WHERE x > %s", [0])
"""


@pytest.mark.parametrize("driver", ["untimed-driver", "timed-driver"])
def test_django_statements_are_timed_once_whatever_the_driver(tmp_path: Path, driver: str) -> None:
    timing = PythonTiming(tmp_path)
    script = tmp_path / "service.py"
    script.write_text(DJANGO_SERVICE)
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", instrument.ENV_DIR) and not k.startswith("COVERAGE_")
    }
    env.update(timing.service_env({}, {}))
    result = subprocess.run(
        [sys.executable, str(script), str(timing.directory), driver],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["3"]
    write_stage(timing.control, "end")
    stage = aggregates.read_stage(timing.directory, "normal")
    counts = {s.text: s.count for s in stage.statements}
    expected = {
        "CREATE TABLE t (x INTEGER)": 1,
        "INSERT INTO t VALUES (?)": 1,
        "SELECT SUM(x) FROM t": 1,
        "SELECT COUNT(*) FROM t WHERE x > ?": 1,
    }
    if driver == "untimed-driver":
        # Django's wrapper sees the statements of Django's cursors, and only those.
        assert counts == expected
    else:
        # The driver sees those once, and Django's own set-up of each connection (PRAGMAs).
        assert {text: counts.get(text) for text in expected} == expected, counts
    assert {"django", "sqlite3"} <= set(stage.hooked)
    assert "sqlite3" in stage.drivers


@pytest.mark.unit
def test_an_untimed_driver_with_no_statement_seen_is_unmeasured_and_says_what_to_set() -> None:
    observed = Observed(
        "python", source="the instrumentation", hooked=("django",), drivers=("asyncpg",)
    )
    observed.stages = {"normal": StageTimings(())}
    result = report.measurement(observed, {"normal": 40})
    assert not result.skipped
    reason = result.unmeasured["db_avg_ms"]
    assert "asyncpg" in reason
    assert "40 requests" in reason
    assert 'db_timing = "postgres"' in reason
    # Only timed drivers loaded, or no request answered: nothing went unseen, still a skip.
    observed.drivers = ("psycopg2",)
    observed.hooked = ("django", "psycopg2")
    assert (
        "ran no database statement"
        in report.measurement(observed, {"normal": 40}).skipped["db_max_ms"]
    )
    observed.drivers = ("asyncpg",)
    assert set(report.measurement(observed, {"normal": 0}).skipped) == {"db_avg_ms", "db_max_ms"}
