"""The load gate's readers of what its tools wrote, typed: a stage's `_audit.json`, locust's
`_exceptions.csv`, the database timing's files and pg_stat_statements' rows. A field that is
missing or of another type is an error naming it, never a 0; and the options are read as their
OptionSpecs declare them, defaults included."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from auditor.errors import ConfigError, GateError
from gates.load import locust_run, stage_stats
from gates.load import settings as load_settings
from gates.load.db import aggregates, instrument, pg_stat
from gates.load.db import settings as db_settings
from gates.load.gate import LoadGate
from gates.service import SERVICE_OPTIONS

pytestmark = pytest.mark.unit


def _entry(name: str, method: str, requests: int) -> dict[str, object]:
    """A `StatsEntry.serialize()` as locust writes it (the fields the gate reads and more)."""
    return {
        "name": name, "method": method, "num_requests": requests, "num_none_requests": 0,
        "num_failures": 1, "total_response_time": 300.5, "max_response_time": 148.7,
        "min_response_time": 12.3, "response_times": {"12": requests - 1, "150.0": 1},
    }


def _stage() -> dict[str, Any]:
    return {
        "entries": [_entry("/items", "GET", 4)],
        "total": _entry("Aggregated", "", 4),
        "errors": [{"method": "GET", "name": "/items", "occurrences": 1,
                    "error": f"{stage_stats.TIMEOUT_MARK} 10 s"}],
        "scheduled": 4, "late": 0, "missed": 0, "in_flight_left": 0, "drained": True,
        "run_s": 3.0, "cpu_warning": False, "cpu_usage": None,
    }


def test_a_stage_file_is_read_as_locust_serialized_it() -> None:
    record = stage_stats.parse(json.dumps(_stage()), "the normal stage's n_audit.json")
    assert record.total.histogram == {12: 3, 150: 1}
    assert (record.total.requests, record.total.failures, record.total.max_ms) == (4, 1, 148.0)
    assert record.total.timeouts == 1
    assert record.endpoints[0].timeouts == 1
    assert (record.scheduled, record.run_s, record.cpu_warning) == (4, 3.0, False)


@pytest.mark.parametrize(("damage", "field"), [
    (lambda d: d.pop("scheduled"), "`scheduled`"),
    (lambda d: d["total"].pop("num_failures"), "`num_failures` - at `$.total`"),
    (lambda d: d["entries"][0].update(num_requests="4"), "`$.entries[0].num_requests`"),
    (lambda d: d["errors"][0].pop("occurrences"), "`occurrences` - at `$.errors[0]`"),
    (lambda d: d.update(cpu_warning=None), "`$.cpu_warning`"),
    (lambda d: d["total"]["response_times"].update(slow=1), "`key` in `$.total.response_times`"),
])
def test_a_stage_file_missing_a_field_or_of_another_type_is_an_error_naming_it(
    damage: Any, field: str,
) -> None:
    data = _stage()
    damage(data)
    with pytest.raises(GateError, match=re.escape(field)) as error:
        stage_stats.parse(json.dumps(data), "the normal stage's n_audit.json")
    assert "n_audit.json" in str(error.value)


def test_locusts_exceptions_csv_is_read_by_its_columns() -> None:
    text = "Count,Message,Traceback,Nodes\n3,boom,Traceback ...,local\n"
    assert locust_run.parse_exceptions(text) == ("3 x boom",)
    assert locust_run.parse_exceptions("Count,Message,Traceback,Nodes\n") == ()
    with pytest.raises(GateError, match=re.escape("`Count` - at `$[0]`")):
        locust_run.parse_exceptions("Message,Traceback\nboom,x\n", "locust's n_exceptions.csv")
    with pytest.raises(GateError, match=re.escape("`$[0].Count`")):
        locust_run.parse_exceptions("Count,Message\nmany,boom\n")


def test_an_unreadable_exceptions_csv_is_said_with_the_stages_error(tmp_path: Path) -> None:
    prefix = tmp_path / "load-normal"
    assert locust_run.scenario_errors(prefix) == ""
    prefix.with_name("load-normal_exceptions.csv").write_text("Count,Message\n2,boom\n")
    assert locust_run.scenario_errors(prefix) == "; errors in the scenario: 2 x boom"
    prefix.with_name("load-normal_exceptions.csv").write_text("Message\nboom\n")
    assert "load-normal_exceptions.csv" in locust_run.scenario_errors(prefix)


def _dump(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "pid": 1, "stage": "normal", "started_at": 1.0, "ended_at": 2.0, "overhead_us": 1.5,
        "hooked": ["sqlite3"], "problems": [], "bounds_ms": list(instrument.BOUNDS_MS),
        "statements": [{"text": "SELECT ?", "count": 2, "total_ms": 1.0, "max_ms": 0.7}],
    }
    data.update(changes)
    return data


@pytest.mark.parametrize(("changes", "field"), [
    ({"statements": [{"text": "SELECT ?", "total_ms": 1.0, "max_ms": 0.7}]},
     "`count` - at `$.statements[0]`"),
    ({"statements": [{"text": "SELECT ?", "count": "2", "total_ms": 1.0, "max_ms": 0.7}]},
     "`$.statements[0].count`"),
    ({"started_at": None}, "`$.started_at`"),
    ({"hooked": "sqlite3"}, "`$.hooked`"),
])
def test_a_timing_file_missing_a_field_or_of_another_type_is_an_error_naming_it(
    tmp_path: Path, changes: dict[str, object], field: str,
) -> None:
    (tmp_path / "normal-1.json").write_text(json.dumps(_dump(**changes)))
    with pytest.raises(GateError, match=re.escape(field)) as error:
        aggregates.read_stage(tmp_path, "normal")
    assert "normal-1.json" in str(error.value)


def test_hello_and_ack_files_are_typed(tmp_path: Path) -> None:
    hello = aggregates.parse_hello('{"pid": 7, "hooked": [], "problems": ["x"]}', "hello-7.json")
    assert (hello.pid, hello.problems) == (7, ["x"])
    with pytest.raises(GateError, match=re.escape("`$.pid`")):
        aggregates.parse_hello('{"pid": "7", "problems": []}', "hello-7.json")
    ack = tmp_path / "ack-7.json"
    assert not aggregates.acknowledged(ack, "end")  # not written yet
    ack.write_text('{"pid": 7, "stage": "end"}')
    assert aggregates.acknowledged(ack, "end")
    ack.write_text('{"pid": 7}')
    with pytest.raises(GateError, match=re.escape("`stage`")):
        aggregates.acknowledged(ack, "end")


class _Rows:
    def __init__(self, rows: list[tuple[object, ...]]) -> None:
        self.rows = rows

    def fetchall(self) -> list[tuple[object, ...]]:
        return self.rows


class _Connection:
    """What PgStatements asks of a psycopg connection, answering with ROWS."""

    def __init__(self, rows: list[tuple[object, ...]]) -> None:
        self.rows = rows

    def execute(self, _sql: str) -> _Rows:
        return _Rows(self.rows)


def test_pg_stat_statements_rows_are_typed_by_their_columns() -> None:
    rows: list[tuple[object, ...]] = [("SELECT * FROM t WHERE id = $1", 3, 1.5, 0.9),
                                      (None, 1, 2.0, 2.0)]
    found = pg_stat.PgStatements(_Connection(rows), "db").read()  # type: ignore[arg-type]
    assert [(s.text, s.count, s.total_ms, s.max_ms) for s in found.statements] == [
        ("SELECT * FROM t WHERE id = ?", 3, 1.5, 0.9), (pg_stat.NO_TEXT, 1, 2.0, 2.0),
    ]
    null_calls = _Connection([("SELECT 1", None, 1.0, 1.0)])
    broken = pg_stat.PgStatements(null_calls, "db")  # type: ignore[arg-type]
    with pytest.raises(GateError, match=re.escape("row 1 of pg_stat_statements")) as error:
        broken.read()
    assert "`$[1]`" in str(error.value)


def test_the_load_options_defaults_are_their_optionspecs() -> None:
    declared = {spec.name: spec.default for spec in LoadGate.options}
    settings = load_settings.parse({"start": "app {port}", "endpoints": [{"path": "/items"}]})
    assert settings.users == declared["users"]
    assert settings.duration == declared["duration"]
    assert settings.warmup == declared["warmup"]
    assert settings.request_timeout == declared["request_timeout"]
    assert settings.peak_factor == declared["peak_factor"]
    assert settings.master_bind_port == declared["master_bind_port"]
    assert settings.confidence == declared["confidence"]
    assert settings.service.health == declared["health"]
    assert settings.service.startup_timeout == declared["startup_timeout"]
    assert db_settings.parse({}).mode == "python"  # `auto` (declared) without a database URL
    assert declared["db_timing"] == "auto"
    # The gate declares each option once: the service's, the load's, the database's.
    names = [spec.name for spec in LoadGate.options]
    assert len(names) == len(set(names))
    assert names == [s.name for s in (*SERVICE_OPTIONS, *load_settings.OPTIONS,
                                      *db_settings.OPTIONS)]


@pytest.mark.parametrize(("options", "needle"), [
    ({"users": "ten"}, "`users` in [tool.audit.load] must be a whole number"),
    ({"duration": None}, "`duration` in [tool.audit.load] must be a number"),
    ({"locustfile": "", "endpoints": []}, "`locustfile` in [tool.audit.load] is empty"),
    ({"master_bind_host": ""}, "`master_bind_host` in [tool.audit.load] is empty"),
    ({"startup_timeout": "soon"}, "`startup_timeout` in [tool.audit.load] must be above 0"),
    ({"health": ""}, "`health` in [tool.audit.load] must be a path"),
    ({"endpoints": "/items"}, "`endpoints` in [tool.audit.load] must be a list of tables"),
])
def test_an_option_of_another_type_is_a_config_error_not_its_default(
    options: dict[str, object], needle: str,
) -> None:
    with pytest.raises(ConfigError, match=re.escape(needle)):
        load_settings.parse({"start": "app {port}", "endpoints": [{"path": "/items"}],
                             **options})


def test_a_database_option_of_another_type_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="use one of auto, python, postgres, off"):
        db_settings.parse({"db_timing": None})
    with pytest.raises(ConfigError, match=r"`database_url_env` in .* is empty"):
        db_settings.parse({"database_url_env": ""})
