"""The locustfile the load gate hands to locust: the scenario plus the two measured stages.

Both stages (normal, then peak) run in one locust process, driven by a LoadTestShape, so that
workers started elsewhere stay connected from the first request to the last. A short warm-up
at normal load comes first and is not measured (the generator's first request carries its own
lazy set-up, ~70 ms on these machines). Between the stages the shape stops every user, waits
until the last statistics arrived (workers report every 3 s), writes the normal stage's stats
and failures CSV with locust's own CSV writer and resets the statistics; locust's `--csv`
writes the peak stage's at the end.

The scenario is either generated from `endpoints` or the target's own locustfile, loaded by
path and re-exported (its User classes only; a locustfile that brings its own load shape is
refused, since the gate sets the stages).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from gates.load.settings import Endpoint, WaitModel


@dataclass(frozen=True)
class Stage:
    """One measured stage of the load."""

    name: str
    users: int
    spawn_rate: float
    duration_s: float


@dataclass(frozen=True)
class StagePlan:
    """Both stages, the pause between them and where each stage's CSV files go."""

    normal: Stage
    peak: Stage
    settle_s: float
    """Seconds with no user between and after the stages, so every sample is reported."""
    warmup_s: float
    """Seconds of normal load before the normal stage, not measured: the generator's first
    requests (its lazy set-up, new connections) would otherwise count as the service's."""
    distributed: bool
    """Whether statistics arrive from workers (late), so warm-up needs a settle pause too."""
    normal_csv_prefix: Path
    """Prefix of the normal stage's CSV files (`<prefix>_stats.csv`, `<prefix>_failures.csv`)."""
    stage_file: Path | None = None
    """Where the shape names the stage that runs (`warmup`, `normal`, `peak`) as it begins,
    for the database timing (gates/load/db); None: not written."""

    def total_s(self) -> float:
        """Seconds all phases take, a little less than the run (the shape ticks each second)."""
        return sum(seconds for _, _, _, seconds in phases(self))


_HEADER = '''\
"""Written by the auditor's load gate for one audit; safe to delete."""

import csv
import inspect
import json
import os

from locust import LoadTestShape, User, between, constant, constant_pacing, constant_throughput
from locust.stats import PERCENTILES_TO_REPORT, StatsCSV

_USED = (between, constant, constant_pacing, constant_throughput, inspect, User)
'''

_ENDPOINT_USER = '''
from locust import HttpUser, task

ENDPOINTS = json.loads({endpoints})


class AuditUser(HttpUser):
    wait_time = {wait}

    def _call(self, index):
        spec = ENDPOINTS[index]
        options = {{"catch_response": True, "name": spec["path"]}}
        if spec["json"] is not None:
            options["json"] = spec["json"]
        with self.client.request(spec["method"], spec["path"], **options) as response:
            if response.status_code == 0:
                return  # a connection error: locust reports it as it is
            expected = spec["status"]
            code = response.status_code
            if (code in expected) if expected else (200 <= code < 300):
                response.success()
            else:
                wanted = ", ".join(map(str, expected)) if expected else "2xx"
                response.failure(f"HTTP {{code}}, expected {{wanted}}")
{tasks}'''

_TASK = '''
    @task({weight})
    def endpoint_{index}(self):
        self._call({index})
'''

_TARGET_IMPORT = '''
import importlib.util
import os
import sys

_PATH = {path}
sys.path.insert(0, os.path.dirname(_PATH))
_spec = importlib.util.spec_from_file_location("audit_target_locustfile", _PATH)
_module = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = _module
_spec.loader.exec_module(_module)


def _user_classes(module):
    found = {{}}
    for name, value in vars(module).items():
        if not inspect.isclass(value):
            continue
        if issubclass(value, LoadTestShape) and not value.abstract:
            raise RuntimeError(
                f"{{_PATH}} defines the load shape {{name}}; the audit runs its own two stages, "
                "so remove the shape class or configure the load with users/peak_users/duration"
            )
        if issubclass(value, User) and not value.abstract:
            found[name] = value
    return found


# Only the names of the target's User classes: locust takes every class it finds here.
globals().update(_user_classes(_module))
'''

_SHAPE = '''

def _write_stage_csv(environment, prefix):
    writer = StatsCSV(environment, PERCENTILES_TO_REPORT)
    with open(prefix + "_stats.csv", "w", newline="", encoding="utf-8") as handle:
        writer.requests_csv(csv.writer(handle))
    with open(prefix + "_failures.csv", "w", newline="", encoding="utf-8") as handle:
        writer.failures_csv(csv.writer(handle))
    with open(prefix + "_exceptions.csv", "w", newline="", encoding="utf-8") as handle:
        writer.exceptions_csv(csv.writer(handle))


def _mark_stage(path, stage):
    with open(path + ".tmp", "w", encoding="utf-8") as handle:
        handle.write(stage)
    os.replace(path + ".tmp", path)


class AuditStages(LoadTestShape):
    # (action, users, spawn rate, seconds): "run" holds a user count for that long;
    # "mark:<stage>" names the stage that begins in STAGE_FILE.
    PHASES = {phases}
    NORMAL_PREFIX = {normal_prefix}
    STAGE_FILE = {stage_file}
    _index = 0
    _phase_start = 0.0

    def tick(self):
        now = self.get_run_time()
        while self._index < len(self.PHASES):
            action, users, rate, seconds = self.PHASES[self._index]
            if action == "run" and now - self._phase_start < seconds:
                return users, rate
            environment = self.runner.environment
            if action == "write_normal":
                _write_stage_csv(environment, self.NORMAL_PREFIX)
            elif action == "reset":
                environment.stats.reset_all()
                self.runner.exceptions = {{}}
            elif action.startswith("mark:") and self.STAGE_FILE:
                _mark_stage(self.STAGE_FILE, action[len("mark:"):])
            self._index += 1
            self._phase_start = now
        return None
'''


def _endpoint_data(endpoint: Endpoint) -> dict[str, object]:
    return {
        "path": endpoint.path,
        "method": endpoint.method,
        "status": list(endpoint.status),
        "json": endpoint.json,
    }


def endpoints_scenario(endpoints: tuple[Endpoint, ...], wait: WaitModel) -> str:
    """A User class making the configured requests with their weights."""
    data = json.dumps([_endpoint_data(e) for e in endpoints])
    tasks = "".join(
        _TASK.format(weight=e.weight, index=i) for i, e in enumerate(endpoints)
    )
    return _ENDPOINT_USER.format(endpoints=repr(data), wait=wait.code(), tasks=tasks)


def target_scenario(locustfile: Path) -> str:
    """The User classes of the target's own locustfile, loaded by absolute path."""
    return _TARGET_IMPORT.format(path=repr(str(locustfile)))


def phases(plan: StagePlan) -> list[tuple[str, int, float, float]]:
    """What the shape does, in order: warm up, measure normal, write it, measure peak."""
    normal, peak = plan.normal, plan.peak
    steps: list[tuple[str, int, float, float]] = []
    if plan.warmup_s > 0:
        steps.append(("mark:warmup", 0, 0.0, 0.0))
        steps.append(("run", normal.users, normal.spawn_rate, plan.warmup_s))
        if plan.distributed:
            steps.append(("run", 0, normal.spawn_rate, plan.settle_s))
        steps.append(("reset", 0, 0.0, 0.0))
    steps += [
        ("mark:normal", 0, 0.0, 0.0),
        ("run", normal.users, normal.spawn_rate, normal.duration_s),
        ("run", 0, normal.spawn_rate, plan.settle_s),
        ("write_normal", 0, 0.0, 0.0),
        ("reset", 0, 0.0, 0.0),
        ("mark:peak", 0, 0.0, 0.0),
        ("run", peak.users, peak.spawn_rate, peak.duration_s),
        ("run", 0, peak.spawn_rate, plan.settle_s),
    ]
    return steps


def stages_shape(plan: StagePlan) -> str:
    """The LoadTestShape running both stages and writing the normal stage's CSV."""
    return _SHAPE.format(
        phases=repr(phases(plan)), normal_prefix=repr(str(plan.normal_csv_prefix)),
        stage_file=repr(str(plan.stage_file) if plan.stage_file else None),
    )


def render(scenario: str, plan: StagePlan) -> str:
    """The whole locustfile: header, scenario and stages."""
    return _HEADER + scenario + stages_shape(plan)
