"""The locustfile the load gate hands to locust: the scenario plus the two measured stages.

Both stages (normal, then peak) run in one locust process, driven by a LoadTestShape, so that
workers started elsewhere stay connected from the first request to the last. Between the
stages the shape stops every user, waits until the last statistics arrived (workers report
every 3 s), writes the normal stage's stats and failures CSV with locust's own CSV writer and
resets the statistics; locust's `--csv` writes the peak stage's at the end.

The scenario is either generated from `endpoints` or the target's own locustfile, loaded by
path and re-exported (its User classes only; a locustfile that brings its own load shape is
refused, since the gate sets the stages).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from gates.load_config import Endpoint, WaitModel


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
    normal_csv_prefix: Path
    """Prefix of the normal stage's CSV files (`<prefix>_stats.csv`, `<prefix>_failures.csv`)."""

    def total_s(self) -> float:
        return self.normal.duration_s + self.peak.duration_s + 2 * self.settle_s


_HEADER = '''\
"""Written by the auditor's load gate for one audit; safe to delete."""

import csv
import inspect
import json

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


class AuditStages(LoadTestShape):
    NORMAL = ({normal_users}, {normal_rate}, {normal_duration})
    PEAK = ({peak_users}, {peak_rate}, {peak_duration})
    SETTLE = {settle}
    NORMAL_PREFIX = {normal_prefix}
    _written = False

    def tick(self):
        elapsed = self.get_run_time()
        users, rate, duration = self.NORMAL
        if elapsed < duration:
            return users, rate
        if elapsed < duration + self.SETTLE:
            return 0, rate
        if not self._written:
            environment = self.runner.environment
            _write_stage_csv(environment, self.NORMAL_PREFIX)
            environment.stats.reset_all()
            self.runner.exceptions = {{}}
            self._written = True
        peak_start = duration + self.SETTLE
        peak_users, peak_rate, peak_duration = self.PEAK
        if elapsed < peak_start + peak_duration:
            return peak_users, peak_rate
        if elapsed < peak_start + peak_duration + self.SETTLE:
            return 0, peak_rate
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


def stages_shape(plan: StagePlan) -> str:
    """The LoadTestShape running both stages and writing the normal stage's CSV."""
    return _SHAPE.format(
        normal_users=plan.normal.users,
        normal_rate=repr(plan.normal.spawn_rate),
        normal_duration=repr(plan.normal.duration_s),
        peak_users=plan.peak.users,
        peak_rate=repr(plan.peak.spawn_rate),
        peak_duration=repr(plan.peak.duration_s),
        settle=repr(plan.settle_s),
        normal_prefix=repr(str(plan.normal_csv_prefix)),
    )


def render(scenario: str, plan: StagePlan) -> str:
    """The whole locustfile: header, scenario and stages."""
    return _HEADER + scenario + stages_shape(plan)
