"""The Python source of the generated locustfile, as `str.format` templates (`{{`/`}}` are
literal braces).

The parts, in the order `render` joins them:
- HEADER: imports, the per-process counts (requests sent, sent late, missed, in flight) that
  workers hand to the master with each stats report, and the phase sequence that spreads the
  users' first requests.
- ENDPOINT_REQUESTS, then CLOSED_USERS or OPEN_ARRIVALS: the configured requests (smooth
  weighted round robin, each request in its own greenlet, latency from its intended start) and
  the users that send them; or TARGET_USERS: the User classes of the target's own locustfile.
- SHAPE: the LoadTestShape that walks the stage plan's phases and writes each stage's files.

This code runs in the locust process (under gevent); the auditor never imports it.
"""

HEADER = '''\
"""Written by the auditor's load gate for one audit; safe to delete."""

import csv
import inspect
import itertools
import json
import os
import random
import time

import gevent
from locust import (
    HttpUser, LoadTestShape, User, between, constant, constant_pacing, constant_throughput, events,
    task,
)
from locust.exception import StopUser
from locust.stats import PERCENTILES_TO_REPORT, StatsCSV
from requests.exceptions import Timeout
from urllib3 import PoolManager

_USED = (between, constant, constant_pacing, constant_throughput, inspect, User, HttpUser, task)
AUDIT = json.loads({config})
# Per process: requests sent, sent late, and still in flight. Workers hand the
# counts to the master with every stats report; the master (or a lone process) adds them up.
_LEDGER = {{"scheduled": 0, "late": 0, "missed": 0, "in_flight": 0}}
_NODES_IN_FLIGHT = {{}}
_PHASE_OFFSET = random.random()
_SEQUENCE = itertools.count()
_GOLDEN = 0.6180339887498949


def _next_phase():
    """Where in its period the next user starts, in [0, 1): a low-discrepancy sequence, so any
    number of users started together still spreads its requests evenly."""
    return (_PHASE_OFFSET + next(_SEQUENCE) * _GOLDEN) % 1.0


_RUNNER = {{}}


_STAGE_END = [None]


def _watch_stage_end(runner):
    """Note when this process is told to stop every user: the end of its stage, which on a
    worker comes a little after the master's and before its users are actually stopped."""
    while True:
        if runner.target_user_count == 0:
            if _STAGE_END[0] is None:
                _STAGE_END[0] = time.perf_counter()
        else:
            _STAGE_END[0] = None
        gevent.sleep(0.02)


@events.init.add_listener
def _remember_runner(environment, **_kwargs):
    _RUNNER["runner"] = environment.runner
    if environment.runner is not None:
        gevent.spawn(_watch_stage_end, environment.runner)


@events.report_to_master.add_listener
def _report_counts(client_id, data):
    if type(_RUNNER.get("runner")).__name__ != "WorkerRunner":
        return  # a lone process keeps its own counts
    data["audit"] = {{
        "scheduled": _LEDGER["scheduled"], "late": _LEDGER["late"], "missed": _LEDGER["missed"],
        "in_flight": _LEDGER["in_flight"],
    }}
    _LEDGER["scheduled"] = 0
    _LEDGER["late"] = 0
    _LEDGER["missed"] = 0


@events.worker_report.add_listener
def _receive_counts(client_id, data):
    counts = data.get("audit") or {{}}
    _LEDGER["scheduled"] += counts.get("scheduled", 0)
    _LEDGER["late"] += counts.get("late", 0)
    _LEDGER["missed"] += counts.get("missed", 0)
    _NODES_IN_FLIGHT[client_id] = counts.get("in_flight", 0)


def _in_flight():
    return _LEDGER["in_flight"] + sum(_NODES_IN_FLIGHT.values())
'''

ENDPOINT_REQUESTS = '''
ENDPOINTS = json.loads({endpoints})
_CURRENT = [0] * len(ENDPOINTS)
_TOTAL_WEIGHT = sum(spec["weight"] for spec in ENDPOINTS)


def _pick():
    """Smooth weighted round robin: every process sends each endpoint its exact share of the
    requests, interleaved, so a rare endpoint is never left out of a short stage by chance."""
    for index, spec in enumerate(ENDPOINTS):
        _CURRENT[index] += spec["weight"]
    best = max(range(len(ENDPOINTS)), key=_CURRENT.__getitem__)
    _CURRENT[best] -= _TOTAL_WEIGHT
    return ENDPOINTS[best]


def _send(user, spec, intended, excused=False):
    """One request, its latency counted from its intended start (perf_counter seconds). It is
    late when the generator sent it too long after that, unless `excused`: held up by the
    service's own slow answer (closed model)."""
    _LEDGER["in_flight"] += 1
    _LEDGER["scheduled"] += 1
    try:
        if not excused and time.perf_counter() - intended > AUDIT["late_after_s"]:
            _LEDGER["late"] += 1
        options = {{
            "catch_response": True, "name": spec["path"], "timeout": AUDIT["request_timeout"],
        }}
        if spec["json"] is not None:
            options["json"] = spec["json"]
        with user.client.request(spec["method"], spec["path"], **options) as response:
            response.request_meta["response_time"] = (time.perf_counter() - intended) * 1000
            if isinstance(getattr(response, "error", None), Timeout):
                response.failure(f"timeout: no answer within {{AUDIT['request_timeout']:g}} s")
                return
            if response.status_code == 0:
                return  # a connection error: locust reports it as it is
            expected = spec["status"]
            code = response.status_code
            if (code in expected) if expected else (200 <= code < 300):
                response.success()
            else:
                wanted = ", ".join(map(str, expected)) if expected else "2xx"
                response.failure(f"HTTP {{code}}, expected {{wanted}}")
    finally:
        _LEDGER["in_flight"] -= 1


def _stage_over(user):
    """Whether the stage this user belongs to has ended: the runner is told to stop every user.
    A user woken while its process handles that order sends nothing more (on a worker, that
    wake-up can come late and would count as the generator's lag)."""
    return user.environment.runner.target_user_count == 0


def _detached(user, spec, intended, excused=False):
    """Run the request in its own greenlet: stopping the user at the end of a stage does not
    cut it off, so it is waited for and counted."""
    return gevent.spawn(_send, user, spec, intended, excused)
'''

CLOSED_USERS = '''

class AuditUser(HttpUser):
    """Closed model: each user sends its next request after the last one answered."""

    pool_manager = PoolManager(maxsize=AUDIT["pool_size"], block=False)
    _pace = AUDIT["pace_s"]

    def wait_time(self):
        if self._pace is None:
            return self._wait()
        return max(0.0, self._next - time.perf_counter())

    _wait = {wait}

    def on_start(self):
        # Users spawned together would otherwise fire together for the whole stage.
        gevent.sleep(_next_phase() * AUDIT["first_spread_s"])
        self._next = time.perf_counter()
        self._answered = 0.0

    def on_stop(self):
        # Intended starts that fell due while this user waited for a slow answer and were never
        # sent: with them, what the schedule offered is known, however the users ramped up. (A
        # user asleep at the end owes nothing: starts it overslept are the generator's, and
        # those inside the stage are counted late when sent.)
        upcoming = getattr(self, "_next", None)
        end = _STAGE_END[0] or time.perf_counter()
        if (self._pace is not None and upcoming is not None and upcoming <= end
                and getattr(self, "_waiting_for_answer", False)):
            _LEDGER["missed"] += int((end - upcoming) // self._pace) + 1

    @task
    def request(self):
        if _stage_over(self):
            raise StopUser()
        if self._pace is None:
            intended = time.perf_counter()
        else:
            # The intended start: a request held up by a slow answer counts from it.
            intended = self._next
            self._next += self._pace
        held = self._answered > intended
        self._waiting_for_answer = True
        _detached(self, _pick(), intended, held).join()
        self._waiting_for_answer = False
        self._answered = time.perf_counter()
'''

OPEN_ARRIVALS = '''

class AuditArrivals(HttpUser):
    """Open model: one stream of arrivals at fixed intended times, whatever the service does."""

    pool_manager = PoolManager(maxsize=AUDIT["pool_size"], block=False)
    wait_time = constant(0)

    @task
    def arrivals(self):
        interval = AUDIT["stream_interval_s"]
        intended = time.perf_counter() + _next_phase() * interval
        while True:
            delay = intended - time.perf_counter()
            if delay > 0:
                gevent.sleep(delay)
            if _stage_over(self):
                raise StopUser()
            _detached(self, _pick(), intended)
            intended += interval
'''
TARGET_USERS = '''
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

SHAPE = '''

def _write_stage(environment, prefix, drained, run_s):
    """The stage's statistics: locust's CSV files for people, and its own serialized stats
    (with every response-time histogram) plus the audit's counts for the gate."""
    writer = StatsCSV(environment, PERCENTILES_TO_REPORT)
    with open(prefix + "_stats.csv", "w", newline="", encoding="utf-8") as handle:
        writer.requests_csv(csv.writer(handle))
    with open(prefix + "_failures.csv", "w", newline="", encoding="utf-8") as handle:
        writer.failures_csv(csv.writer(handle))
    with open(prefix + "_exceptions.csv", "w", newline="", encoding="utf-8") as handle:
        writer.exceptions_csv(csv.writer(handle))
    stats = environment.stats
    runner = environment.runner
    record = {{
        "entries": [entry.serialize() for entry in stats.entries.values()],
        "total": stats.total.serialize(),
        "errors": list(stats.serialize_errors().values()),
        "scheduled": _LEDGER["scheduled"],
        "late": _LEDGER["late"],
        "missed": _LEDGER["missed"],
        "in_flight_left": _in_flight(),
        "drained": drained,
        "run_s": run_s,
        "cpu_warning": bool(
            getattr(runner, "cpu_warning_emitted", False)
            or getattr(runner, "worker_cpu_warning_emitted", False)
        ),
        "cpu_usage": getattr(runner, "current_cpu_usage", None),
    }}
    with open(prefix + "_audit.json", "w", encoding="utf-8") as handle:
        json.dump(record, handle)


def _mark_stage(path, stage):
    with open(path + ".tmp", "w", encoding="utf-8") as handle:
        handle.write(stage)
    os.replace(path + ".tmp", path)


class AuditStages(LoadTestShape):
    # (action, users, spawn rate, seconds, prefix): "run" holds a user count for that long;
    # "drain" waits (at least settle, at most its seconds) until no request is in flight;
    # "mark:<stage>" names the stage that begins in STAGE_FILE.
    PHASES = {phases}
    SETTLE_S = {settle}
    STAGE_FILE = {stage_file}
    _index = 0
    _phase_start = 0.0
    _drained = True
    _run_s = 0.0

    def _phase_done(self, action, seconds, elapsed):
        if action == "run":
            return elapsed >= seconds
        if action == "drain":
            if elapsed < self.SETTLE_S:
                return False
            idle = _in_flight() == 0 and self.runner.user_count == 0
            self._drained = idle
            return idle or elapsed >= seconds
        return True

    def tick(self):
        now = self.get_run_time()
        while self._index < len(self.PHASES):
            action, users, rate, seconds, prefix = self.PHASES[self._index]
            if not self._phase_done(action, seconds, now - self._phase_start):
                return users, rate
            if action == "run":
                self._run_s = now - self._phase_start
            environment = self.runner.environment
            if action == "write":
                _write_stage(environment, prefix, self._drained, self._run_s)
            elif action == "reset":
                environment.stats.reset_all()
                self.runner.exceptions = {{}}
                _LEDGER["scheduled"] = 0
                _LEDGER["late"] = 0
                _LEDGER["missed"] = 0
            elif action.startswith("mark:") and self.STAGE_FILE:
                _mark_stage(self.STAGE_FILE, action[len("mark:"):])
            self._index += 1
            self._phase_start = now
        return None
'''

