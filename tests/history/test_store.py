"""The store, on SQLite and on a real PostgreSQL: the schema from nothing, runs recorded,
listed, exported and imported, and two writers at once."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from msgspec.structs import replace
from sqlalchemy import create_engine, inspect, text

from auditor.history import location, migrations, tables
from auditor.history.store import Store
from auditor.model import Condition
from tests.history.cards import card, cli, save

T0 = datetime(2026, 3, 2, 10, 0, 0)


def _where(url: str) -> location.StoreLocation:
    return location.from_text(url, "--history", None, Path.cwd())


def test_the_migrations_create_the_schema_from_nothing(store_url: str) -> None:
    where = _where(store_url)
    Store(where).close()
    Store(where).close()  # a second opening finds the newest revision and changes nothing
    engine = create_engine(where.url)
    try:
        names = set(inspect(engine).get_table_names())
        assert {"runs", "run_conditions", "alembic_version"} <= names
        for table in (tables.runs, tables.conditions):  # the migrations build what queries use
            columns = {c["name"] for c in inspect(engine).get_columns(table.name)}
            assert columns == set(table.c.keys())
        indexed = {c for ix in inspect(engine).get_indexes("run_conditions")
                   for c in ix["column_names"]}
        assert {"gate", "condition", "value", "status", "run_id"} <= indexed
        with engine.connect() as conn:
            revision = conn.execute(text("select version_num from alembic_version")).scalar()
        scripts = ScriptDirectory(str(Path(migrations.__file__).parent))
        assert revision == tables.HEAD_REVISION == scripts.get_current_head()
    finally:
        engine.dispose()


def test_runs_are_recorded_listed_and_exported(
    store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    monkeypatch.chdir(project)
    files = save([
        card(T0, line_coverage=81.8),
        card(T0 + timedelta(hours=1), line_coverage=81.2, tests_failed=2),
        card(T0 + timedelta(hours=2), branch="feature", line_coverage=90.0),
    ], tmp_path / "cards")
    code, _, err = cli(capsys, "history", "import", *files, "--history", store_url)
    assert code == 0, err
    assert "Recorded 3 of 3" in err

    code, out, err = cli(capsys, "history", project, "--history", store_url, "--format", "json")
    assert code == 0, err
    rows = json.loads(out)
    assert [r["started_at"] for r in rows] == [
        "2026-03-02T12:00:00Z", "2026-03-02T11:00:00Z", "2026-03-02T10:00:00Z"
    ]
    assert [r["figures"]["coverage.line_coverage"]["value"] for r in rows] == [90.0, 81.2, 81.8]
    assert [r["status"] for r in rows] == ["passed", "failed", "passed"]
    assert rows[1]["figures"]["coverage.tests_failed"] == {
        "value": 2.0, "status": "failed", "unit": ""
    }

    main_only = json.loads(cli(
        capsys, "history", project, "--history", store_url, "--format", "json",
        "--branch", "main", "--limit", "1",
    )[1])
    assert [(r["branch"], r["started_at"]) for r in main_only] == [
        ("main", "2026-03-02T11:00:00Z")
    ]

    exported = cli(capsys, "history", project, "--history", store_url, "--format", "csv")[1]
    table = list(csv.DictReader(io.StringIO(exported)))
    assert [row["coverage.line_coverage"] for row in table] == ["90", "81.2", "81.8"]
    assert [row["branch"] for row in table] == ["feature", "main", "main"]

    code, shown, err = cli(capsys, "history", project, "--history", store_url)
    assert code == 0, err
    lines = [line for line in shown.splitlines() if "2026-03-02" in line]
    assert len(lines) == 3
    # Key figures with arrows against the run before: coverage up on the newest, down before.
    assert "90% ↑" in lines[0]
    assert "81.2% ↓" in lines[1]


def test_importing_a_scorecard_twice_records_it_once(
    store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    monkeypatch.chdir(project)
    files = save([card(T0)], tmp_path / "cards")
    assert cli(capsys, "history", "import", *files, "--history", store_url)[0] == 0
    code, _, err = cli(capsys, "history", "import", *files, "--history", store_url)
    assert code == 0, err
    assert "already recorded" in err
    listed = cli(capsys, "history", project, "--history", store_url, "--format", "json")[1]
    rows = json.loads(listed)
    assert len(rows) == 1


WRITER = """
import sys, time
from datetime import datetime, timedelta
from pathlib import Path
from auditor.history import location, migrations, tables
from auditor.history.store import Store
from auditor.model import Condition
from tests.history.cards import card
url, name, start = sys.argv[1], sys.argv[2], float(sys.argv[3])
where = location.from_text(url, "--history", None, Path.cwd())
time.sleep(max(0.0, start - time.time()))
for i in range(6):
    store = Store(where)
    try:
        store.record(card(datetime(2026, 3, 2) + timedelta(minutes=i), branch=name), "same-target")
    finally:
        store.close()
"""


def test_two_writers_at_the_same_moment_both_land(store_url: str) -> None:
    start = time.time() + 2.0
    root = Path(__file__).parents[2]
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, store_url, name, str(start)], cwd=root,
                         stderr=subprocess.PIPE, text=True)
        for name in ("one", "two")
    ]
    for writer in writers:
        _, err = writer.communicate(timeout=180)
        assert writer.returncode == 0, err
    store = Store(_where(store_url))
    try:
        found = store.runs("same-target", limit=100)
    finally:
        store.close()
    assert sorted((r.branch or "") for r in found) == ["one"] * 6 + ["two"] * 6


def test_the_table_says_when_a_condition_beside_the_key_figure_failed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    monkeypatch.chdir(project)
    one = card(T0)
    lint = next(g for g in one.gates if g.id == "lint")
    over = Condition("max_warnings_per_file", "Warnings per file", 7.0, "", "<", 5.0, "failed",
                     True)
    failing = replace(one, gates=[
        replace(g, status="failed", conditions=[*g.conditions, over]) if g is lint else g
        for g in one.gates
    ])
    db = tmp_path / "h.sqlite"
    files = save([failing], tmp_path / "cards")
    assert cli(capsys, "history", "import", *files, "--history", db)[0] == 0
    code, shown, err = cli(capsys, "history", project, "--history", db)
    assert code == 0, err
    row = next(line for line in shown.splitlines() if "2026-03-02" in line)
    # The lint column's key figure (critical errors, 0) would hide the failed per-file limit.
    assert "(max_warnings_per_file failed)" in row
