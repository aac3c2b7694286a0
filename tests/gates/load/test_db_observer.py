"""The database timing's interface to the load gate, on its own: the observer of each mode,
what the `python` observer reads back from the files the instrumented processes write, and
the conditions and details it adds to the gate's Measurement."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from auditor.model import Measurement, Population
from gates.load import db as db_timing
from gates.load.db import instrument, observer
from gates.load.db.aggregates import StageTimings, StatementStats
from gates.load.db.observer import Off, PostgresTiming, PythonTiming
from gates.load.details import LoadDetails

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(("options", "kind"), [
    ({"db_timing": "off"}, Off),
    ({}, PythonTiming),
    ({"database_url_env": "SERVICE_DATABASE_URL"}, PostgresTiming),
])
def test_the_configured_mode_picks_its_observer(
    tmp_path: Path, options: dict[str, object], kind: type,
) -> None:
    found = db_timing.observer_for(db_timing.parse(options), tmp_path, {})
    assert isinstance(found, kind)
    # The shape writes the stage names where the observer follows them (none when off).
    if kind is Off:
        assert found.stage_file is None
    else:
        assert found.stage_file == tmp_path / observer.DIRECTORY / instrument.STAGE_FILE


def test_off_observes_nothing_and_leaves_the_service_alone(tmp_path: Path) -> None:
    off = Off()
    assert off.service_env({"PYTHONPATH": "src"}, {}) == {}
    with off.watching():
        pass
    assert off.finish() == db_timing.Observed("off")


def test_the_instrumentation_goes_first_on_the_services_pythonpath(tmp_path: Path) -> None:
    timing = PythonTiming(tmp_path)
    directory = str(timing.directory)
    assert (timing.directory / "sitecustomize.py").is_file()
    assert (timing.directory / f"{observer.MODULE_NAME}.py").read_text() == Path(
        instrument.__file__).read_text()
    configured = timing.service_env({"PYTHONPATH": "src"}, {"PYTHONPATH": "lib"})
    assert configured == {"PYTHONPATH": os.pathsep.join([directory, "src"]),
                          instrument.ENV_DIR: directory}
    inherited = timing.service_env({}, {"PYTHONPATH": "lib"})
    assert inherited["PYTHONPATH"] == os.pathsep.join([directory, "lib"])
    assert timing.service_env({}, {})["PYTHONPATH"] == directory


def _write(path: Path, data: object) -> None:
    path.write_text(json.dumps(data), encoding="utf-8")


def _stage_file(pid: int, stage: str, statements: list[dict[str, object]]) -> dict[str, object]:
    """A stage's aggregates as the instrumentation writes them."""
    return {
        "pid": pid, "stage": stage, "started_at": 10.0, "ended_at": 20.0, "overhead_us": 1.5,
        "hooked": ["sqlite3"], "problems": ["no psycopg"], "bounds_ms": list(instrument.BOUNDS_MS),
        "statements": statements,
    }


def test_python_timing_reads_what_each_service_process_wrote(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(observer, "ACK_WAIT_S", 0.2)
    timing = PythonTiming(tmp_path)
    directory = timing.directory
    acked, silent = os.getpid(), os.getppid()  # both alive; only the first acknowledges `end`
    for pid in (acked, silent):
        _write(directory / f"hello-{pid}.json",
               {"pid": pid, "hooked": ["sqlite3"], "problems": ["no psycopg"]})
    _write(directory / f"ack-{acked}.json", {"pid": acked, "stage": instrument.END})
    select = {"text": "SELECT ?", "count": 4, "total_ms": 2.0, "max_ms": 0.9}
    _write(directory / f"normal-{acked}.json", _stage_file(acked, "normal", [select]))
    _write(directory / f"normal-{silent}.json", _stage_file(silent, "normal", [select]))
    _write(directory / f"peak-{acked}.json", _stage_file(acked, "peak", []))
    found = timing.finish()
    assert timing.control.read_text(encoding="utf-8") == instrument.END
    assert found.error is None
    assert found.loaded
    assert found.stages["normal"].count == 8
    assert found.stages["normal"].max_ms == 0.9
    assert found.stages["peak"].count == 0
    assert (found.overhead_us, found.hooked) == (1.5, ("sqlite3",))
    assert found.problems == (
        "no psycopg", f"process {silent} did not write its last stage within 0.2 s",
    )


def test_python_timing_without_stage_files_says_which_could_not_be_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(observer, "ACK_WAIT_S", 0.2)
    timing = PythonTiming(tmp_path)
    (timing.directory / "normal-1.json").write_text("{not json", encoding="utf-8")
    found = timing.finish()
    assert not found.loaded  # no process said hello
    assert found.error is not None
    assert "normal-1.json" in found.error


def test_postgres_timing_without_its_url_is_unmeasured_and_names_the_variable(
    tmp_path: Path,
) -> None:
    settings = db_timing.parse({"database_url_env": "SERVICE_DATABASE_URL"})
    timing = db_timing.observer_for(settings, tmp_path, {"OTHER": "x"})
    assert timing.service_env({}, {}) == {}
    with timing.watching():
        found = timing.finish()
    assert found.mode == "postgres"
    assert found.error is not None
    assert "SERVICE_DATABASE_URL" in found.error
    report = db_timing.add_to(Measurement(values={}), found, {"normal": 10, "peak": 100})
    assert set(report.unmeasured) == {"db_avg_ms", "db_max_ms"}


def _load_measurement() -> Measurement:
    return Measurement(
        values={"p95_ms": 12.0},
        populations={"normal": Population("requests at normal load", 200)},
        details=LoadDetails(model="closed", notes=("percentiles are rounded",)),
        skipped={"endpoint_p95_ms": "too few requests"},
        tool_name="locust",
    )


def test_the_database_conditions_join_the_load_measurement() -> None:
    observed = db_timing.Observed(
        "python", stages={"normal": StageTimings((StatementStats("SELECT ?", 50, 25.0, 4.0),)),
                          "peak": StageTimings(())},
        overhead_us=1.2, source="the instrumentation",
    )
    joined = db_timing.add_to(_load_measurement(), observed, {"normal": 10, "peak": 100})
    assert joined.values == {"p95_ms": 12.0, "db_avg_ms": 0.5, "db_max_ms": 4.0}
    assert joined.populations["normal"] == Population("requests at normal load", 200)
    assert joined.populations["statements"] == Population(
        "database statements at normal load", 50)
    assert joined.skipped == {"endpoint_p95_ms": "too few requests"}
    assert isinstance(joined.details, LoadDetails)
    assert joined.details.model == "closed"
    database = joined.details.database
    assert database is not None
    assert database.mode == "python"
    assert database.stages["normal"].per_request == 5.0
    notes = joined.details.notes
    assert notes[0] == "percentiles are rounded"
    assert "1.2 µs" in notes[1]
    assert joined.tool_name == "locust"


def test_database_timing_off_skips_its_conditions_and_adds_no_details() -> None:
    joined = db_timing.add_to(_load_measurement(), db_timing.Observed("off"), {"normal": 10})
    assert joined.values == {"p95_ms": 12.0}
    assert joined.skipped["db_avg_ms"] == joined.skipped["db_max_ms"]
    assert "off" in joined.skipped["db_avg_ms"]
    assert isinstance(joined.details, LoadDetails)
    assert joined.details.database is None
    assert joined.details.notes == ("percentiles are rounded",)
