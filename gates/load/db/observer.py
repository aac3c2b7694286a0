"""Observing the service's database statements while the load gate drives it.

The locust shape names the running stage in the file `stage` of the timing directory (see
instrument.py for why a control file); the gate writes `end` there once locust finished. The
`python` observer puts the instrumentation on the service's PYTHONPATH and afterwards waits for
every instrumented process to acknowledge `end` before the service is stopped; the `postgres`
observer polls the same file from a thread of the gate and resets pg_stat_statements when a
measured stage begins and reads it when the stage ends.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from auditor.errors import GateError
from gates.load.db import aggregates, instrument
from gates.load.db.aggregates import StageTimings
from gates.load.db.pg_stat import PgStatements
from gates.load.db.settings import DbSettings

DIRECTORY = "db-timing"
MODULE_NAME = "audit_db_timing"
MEASURED = ("normal", "peak")
ACK_WAIT_S = 5.0
"""How long the instrumented processes have to write their last stage once locust ended."""
_SITECUSTOMIZE = f'''\
"""Written by the auditor's load gate: times database statements, then runs the
sitecustomize the service has of its own, if any."""
import {MODULE_NAME}

{MODULE_NAME}.install()
{MODULE_NAME}.chain_sitecustomize(__file__)
'''


@dataclass
class Observed:
    """What one observation gave: each measured stage's statements, or why there are none."""

    mode: str
    stages: dict[str, StageTimings] = field(default_factory=dict)
    error: str | None = None
    """Why the configured source could not be read (the conditions are then unmeasured)."""
    loaded: bool = True
    """python mode: whether any process of the service loaded the instrumentation."""
    overhead_us: float | None = None
    hooked: tuple[str, ...] = ()
    drivers: tuple[str, ...] = ()
    """python mode: the database drivers the service loaded, hooked or not."""
    problems: tuple[str, ...] = ()
    source: str = ""


def write_stage(stage_file: Path, stage: str) -> None:
    """Name the running stage (atomically: readers never see a half-written name)."""
    tmp = stage_file.with_name(f"{stage_file.name}.gate.tmp")
    tmp.write_text(stage, encoding="utf-8")
    tmp.replace(stage_file)


def _read_stage(stage_file: Path) -> str | None:
    try:
        return stage_file.read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Off:
    """`db_timing = "off"`: nothing observed."""

    mode = "off"
    stage_file: Path | None = None

    def service_env(self, configured: Mapping[str, str], base: Mapping[str, str]
                    ) -> dict[str, str]:
        return {}

    @contextlib.contextmanager
    def watching(self) -> Iterator[None]:
        yield

    def finish(self) -> Observed:
        return Observed(self.mode)


class PythonTiming:
    """The instrumentation module on the service's PYTHONPATH."""

    mode = "python"

    def __init__(self, workdir: Path) -> None:
        self.directory = workdir / DIRECTORY
        shutil.rmtree(self.directory, ignore_errors=True)
        self.directory.mkdir(parents=True)
        shutil.copyfile(Path(instrument.__file__), self.directory / f"{MODULE_NAME}.py")
        (self.directory / "sitecustomize.py").write_text(_SITECUSTOMIZE, encoding="utf-8")
        self.control = self.directory / instrument.STAGE_FILE
        self.stage_file: Path | None = self.control

    def service_env(self, configured: Mapping[str, str], base: Mapping[str, str]
                    ) -> dict[str, str]:
        """PYTHONPATH with the instrumentation first (the service's own entries after it)."""
        existing = configured.get("PYTHONPATH", base.get("PYTHONPATH", ""))
        return {
            "PYTHONPATH": os.pathsep.join(filter(None, [str(self.directory), existing])),
            instrument.ENV_DIR: str(self.directory),
        }

    @contextlib.contextmanager
    def watching(self) -> Iterator[None]:
        yield

    def _hellos(self) -> list[aggregates.Hello]:
        """What each process that loaded the instrumentation said when it started."""
        return [
            aggregates.parse_hello(path.read_text(encoding="utf-8"), path.name)
            for path in sorted(self.directory.glob("hello-*.json"))
        ]

    def _wait_for_acks(self, pids: list[int]) -> list[int]:
        """Processes that neither acknowledged `end` nor exited in time."""
        deadline = time.monotonic() + ACK_WAIT_S
        waiting = list(pids)
        while waiting and time.monotonic() < deadline:
            waiting = [
                pid for pid in waiting
                if _alive(pid) and not aggregates.acknowledged(
                    self.directory / f"ack-{pid}.json", instrument.END)
            ]
            if waiting:
                time.sleep(instrument.POLL_S)
        return waiting

    def finish(self) -> Observed:
        write_stage(self.control, instrument.END)
        observed = Observed(self.mode, source="the instrumentation in the service's process")
        try:
            hellos = self._hellos()
            observed.loaded = bool(hellos)
            late = self._wait_for_acks([h.pid for h in hellos])
            observed.stages = {s: aggregates.read_stage(self.directory, s) for s in MEASURED}
        except (GateError, OSError) as exc:
            observed.error = f"the timing files in {self.directory} could not be read: {exc}"
            return observed
        overheads = [s.overhead_us for s in observed.stages.values() if s.overhead_us]
        observed.overhead_us = max(overheads) if overheads else None
        observed.hooked = tuple(sorted({m for s in observed.stages.values() for m in s.hooked}))
        observed.drivers = tuple(sorted({m for s in observed.stages.values() for m in s.drivers}))
        problems = [p for h in hellos for p in h.problems]
        problems += [p for s in observed.stages.values() for p in s.problems]
        problems += [f"process {pid} did not write its last stage within {ACK_WAIT_S:g} s"
                     for pid in late]
        observed.problems = tuple(dict.fromkeys(problems))
        return observed


class PostgresTiming:
    """pg_stat_statements of the service's database, reset and read at the stage boundaries."""

    mode = "postgres"

    def __init__(self, workdir: Path, settings: DbSettings, env: Mapping[str, str]) -> None:
        directory = workdir / DIRECTORY
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True)
        self.stage_file: Path | None = directory / instrument.STAGE_FILE
        self._observed = Observed(self.mode)
        self._reader: PgStatements | None = None
        self._stop = threading.Event()
        self._current: str | None = None
        self._thread: threading.Thread | None = None
        self._began = 0.0
        url = settings.url(env)
        if url is None:
            self._observed.error = (
                f"{settings.url_source()} is not set, so there is no database to read "
                "pg_stat_statements from; set it to the service's postgresql:// URL"
            )
            return
        try:
            self._reader = PgStatements.connect(url)
        except GateError as exc:
            self._observed.error = str(exc)
            return
        self._observed.source = f"pg_stat_statements of the database {self._reader.database!r}"

    def service_env(self, configured: Mapping[str, str], base: Mapping[str, str]) -> dict[str, str]:
        return {}

    def _switch(self, new: str | None) -> None:
        """Read the stage that ended, reset for the one that begins."""
        reader = self._reader
        if reader is None or self._observed.error:
            return
        old, self._current = self._current, new
        try:
            if old in MEASURED:
                self._observed.stages[old] = dataclasses.replace(
                    reader.read(), window=(self._began, time.time())
                )
            if new in MEASURED:
                reader.reset()
                self._began = time.time()
        except GateError as exc:
            self._observed.error = str(exc)

    def _loop(self) -> None:
        while not self._stop.is_set():
            stage = _read_stage(self.stage_file) if self.stage_file else None
            if stage != self._current:
                self._switch(stage)
            self._stop.wait(instrument.POLL_S)

    @contextlib.contextmanager
    def watching(self) -> Iterator[None]:
        """Follow the stages while locust runs; the connection is closed however it ends."""
        self._thread = threading.Thread(target=self._loop, name="pg-stat-statements",
                                        daemon=True)
        self._thread.start()
        try:
            yield
        finally:
            self._stop_thread()
            if self._reader is not None:
                self._reader.close()

    def _stop_thread(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def finish(self) -> Observed:
        """Read the last stage (called inside `watching`, with the service still running)."""
        self._stop_thread()
        if self.stage_file is not None:
            write_stage(self.stage_file, instrument.END)
        self._switch(instrument.END)
        return self._observed


Observer = Off | PythonTiming | PostgresTiming


def observer_for(settings: DbSettings, workdir: Path, env: Mapping[str, str]) -> Observer:
    """The observer for the configured mode, ready before the service starts."""
    if settings.mode == "python":
        return PythonTiming(workdir)
    if settings.mode == "postgres":
        return PostgresTiming(workdir, settings, env)
    return Off()
