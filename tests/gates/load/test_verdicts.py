"""Load verdicts that hold, against loopback services that misbehave on purpose.

The service is tests/fixtures/load_behaviours_server.py (standard library, TCP_NODELAY): limited
capacity, a slow or hanging path, periodic freezes, arrival logging, a crash. Other suites share
the 2 cores, so latency thresholds here leave wide margins.
"""

from __future__ import annotations

import json
import re
import shlex
import sys
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.gates.load.test_gate import _assert_cleaned_up, _audit, _project
from tests.helpers import FIXTURES, condition, gate, load_scorecard, run_cli

pytestmark = pytest.mark.slow

SERVER = FIXTURES / "load_behaviours_server.py"


def _server(marker: str, *args: str) -> str:
    return json.dumps(
        shlex.join(["python", str(SERVER), "--port", "{port}", "--marker", marker, *args])
    )


def _table(start: str, body: str) -> str:
    return f'start = {start}\nhealth = "/health"\n' + body.replace("\n        ", "\n")


@pytest.fixture
def marker() -> str:
    return f"loadverdict-{uuid.uuid4().hex}"


def _run(tmp_path: Path, name: str, table: str) -> tuple[int, dict[str, Any], str, Path]:
    root = _project(tmp_path / name, table)
    out = tmp_path / name / "out"
    code, card, output = _audit(root, out)
    return code, card, output, out


def test_peak_throughput_fails_when_capacity_is_short_and_passes_at_a_lower_peak(
    tmp_path: Path, marker: str
) -> None:
    # 40 requests/s of capacity: a peak of 5 x 20 = 100/s is not held, 1.5 x 20 = 30/s is.
    body = """
        rate = 20
        warmup = 1
        duration = 4
        request_timeout = 3
        endpoints = [{ path = "/items" }]
        """
    start = _server(marker, "--capacity", "40")
    code, card, output, out = _run(tmp_path, "short", _table(start, body + "peak_factor = 5\n"))
    throughput = condition(card, "load", "peak_throughput")
    assert code == 1, output
    assert throughput["status"] == "failed"
    assert throughput["value"] < 75, throughput
    peak = gate(card, "load")["details"]["stages"]["peak"]
    assert peak["offered_rps"] > 80
    assert peak["achieved_rps"] < 60
    assert "did not hold its rate" in output
    _assert_cleaned_up(marker, out)

    code, card, output, out = _run(
        tmp_path, "enough", _table(start, body + "peak_factor = 1.5\nrepeats = 2\n")
    )
    throughput = condition(card, "load", "peak_throughput")
    assert throughput["status"] == "passed", output
    details = gate(card, "load")["details"]
    assert len(details["repeats"]) == 2
    shares = sorted(
        100 * (r["peak"]["requests"] - r["peak"]["failures"]) / r["peak"]["scheduled"]
        for r in details["repeats"]
    )
    assert throughput["value"] == pytest.approx(sum(shares) / 2, abs=0.01)
    _assert_cleaned_up(marker, out)


def test_a_slow_rare_endpoint_fails_endpoint_p95_while_the_aggregate_passes(
    tmp_path: Path, marker: str
) -> None:
    # 1 request in 25 goes to /report (600 ms): under 5%, so the aggregate p95 stays fast.
    start = _server(marker, "--slow", "/report=600")
    code, card, output, out = _run(tmp_path, "rare", _table(start, """
        rate = 60
        peak_factor = 1.2
        warmup = 1
        duration = 6
        endpoints = [{ path = "/items", weight = 24 }, { path = "/report" }]
        """))
    assert code == 1, output
    assert condition(card, "load", "p95_ms")["status"] == "passed"
    worst = condition(card, "load", "endpoint_p95_ms")
    assert worst["status"] == "failed"
    assert worst["value"] >= 600
    endpoints = gate(card, "load")["details"]["stages"]["normal"]["endpoints"]
    report = next(e for e in endpoints if e["name"] == "/report")
    assert report["verdict"] == "p95 over its target"
    assert "GET /report" in output
    assert "/report" in (out / "scorecard.html").read_text()
    _assert_cleaned_up(marker, out)


def test_a_hanging_endpoint_fails_with_its_timeouts_counted(tmp_path: Path, marker: str) -> None:
    # /export answers after 60 s and gets 10% of the traffic; requests time out after 2 s.
    start = _server(marker, "--slow", "/export=60000")
    code, card, output, out = _run(tmp_path, "hang", _table(start, """
        users = 10
        peak_users = 15
        wait = "constant_throughput(2)"
        warmup = 0
        duration = 5
        request_timeout = 2
        endpoints = [{ path = "/items", weight = 9 }, { path = "/export" }]
        """))
    assert code == 1, output
    load = gate(card, "load")
    assert condition(card, "load", "endpoint_error_rate")["status"] == "failed"
    normal = load["details"]["stages"]["normal"]
    export = next(e for e in normal["endpoints"] if e["name"] == "/export")
    # Users held by it send less: the closed model's way of hiding it, but it is still judged.
    assert export["requests"] >= 3
    # Every request to it is counted, as a timeout, including those still in flight at the end.
    assert export["failures"] == export["timeouts"] == export["requests"]
    assert normal["in_flight_left"] == 0
    assert any("timeout" in f["error"] for f in normal["failures_seen"])
    assert "GET /export" in output
    _assert_cleaned_up(marker, out)


def _freeze_audit(
    tmp_path: Path, marker: str, name: str, model: str
) -> tuple[int, dict[str, Any], str, Path]:
    # A 10 s stage holds at least one whole 2 s freeze, wherever it starts.
    start = _server(marker + name, "--freeze-every", "8", "--freeze-for", "2")
    return _run(tmp_path, name, _table(start, model + """
        warmup = 0
        duration = 10
        request_timeout = 5
        endpoints = [{ path = "/items" }]
        """))


def test_a_service_that_freezes_shows_in_the_open_model_p99(tmp_path: Path, marker: str) -> None:
    with ThreadPoolExecutor(2) as pool:
        open_run = pool.submit(
            _freeze_audit, tmp_path, marker, "open", "rate = 20\npeak_factor = 1\n"
        )
        closed_run = pool.submit(
            _freeze_audit, tmp_path, marker, "closed",
            'users = 2\npeak_users = 2\nwait = "constant(0.01)"\n',
        )
        (_, open_card, open_output, open_out) = open_run.result()
        (_, closed_card, closed_output, closed_out) = closed_run.result()
    # Open model: the ~40 requests due during a 2 s freeze each wait up to 2 s.
    open_p99 = condition(open_card, "load", "p99_ms")
    assert open_p99["value"] > 1000, open_output
    # Closed model, unpaced: each user is held once a freeze, so only 2 to 4 of ~1,000 requests
    # are slow and the p99 hides the stall; the report says so.
    closed_p99 = condition(closed_card, "load", "p99_ms")
    assert closed_p99["value"] < open_p99["value"]
    assert closed_p99["value"] < 1000, closed_output
    assert "can hide the stall" in closed_output
    _assert_cleaned_up(marker + "open", open_out)
    _assert_cleaned_up(marker + "closed", closed_out)


def _arrivals_per_ms(out: Path) -> Counter[int]:
    log = (out / "load-service.log").read_text()
    return Counter(int(float(t) * 1000) for t in re.findall(r"arrival (\d+\.\d+)", log))


@pytest.mark.parametrize("model", [
    "rate = 50\npeak_factor = 1\n",
    'users = 50\npeak_users = 50\nwait = "constant_throughput(1)"\n',
])
def test_arrivals_are_spread_not_in_lockstep(tmp_path: Path, marker: str, model: str) -> None:
    start = _server(marker, "--log-arrivals")
    _, card, output, out = _run(tmp_path, "spread", _table(start, model + """
        warmup = 0
        duration = 4
        endpoints = [{ path = "/items" }]
        """))
    assert gate(card, "load")["status"] != "error", output
    per_ms = _arrivals_per_ms(out)
    assert sum(per_ms.values()) > 300
    # 50 users in lockstep would put 50 requests in one millisecond, once a second.
    assert max(per_ms.values()) <= 5, per_ms.most_common(3)
    _assert_cleaned_up(marker, out)


SATURATING_LOCUSTFILE = '''\
from locust import HttpUser, constant, runners, task

# Lower locust's own CPU threshold and check interval: its real saturation warning fires at once.
runners.CPU_WARNING_THRESHOLD = -1
runners.CPU_MONITOR_INTERVAL = 0.5


class Visitor(HttpUser):
    wait_time = constant(0.2)

    @task
    def items(self):
        self.client.get("/items")
'''


def test_a_saturated_generator_is_an_error_with_its_reason(tmp_path: Path, marker: str) -> None:
    root = _project(tmp_path, _table(_server(marker), """
        locustfile = "locustfile.py"
        users = 2
        peak_users = 2
        warmup = 0
        duration = 2
        """))
    (root / "locustfile.py").write_text(SATURATING_LOCUSTFILE)
    out = tmp_path / "out"
    result = run_cli(
        "run", root, "--gates", "load", "--out", out, "--python", sys.executable,
        "--format", "json,html,markdown,junit", timeout=150,
    )
    card, output, code = load_scorecard(out), result.stdout + result.stderr, result.code
    load = gate(card, "load")
    assert code == 3, output
    assert load["status"] == "error"
    assert "load generator was saturated" in load["reason"]
    assert "processes" in load["reason"]
    assert "load generator was saturated" in output
    assert "load generator was saturated" in (out / "scorecard.md").read_text()
    assert "load generator was saturated" in (out / "junit.xml").read_text()
    _assert_cleaned_up(marker, out)


def test_a_service_that_dies_under_load_shows_its_last_log_lines(
    tmp_path: Path, marker: str
) -> None:
    start = _server(marker, "--die-after", "30")
    code, card, output, out = _run(tmp_path, "dies", _table(start, """
        rate = 20
        peak_factor = 1
        warmup = 0
        duration = 3
        request_timeout = 2
        endpoints = [{ path = "/items" }]
        """))
    assert code == 1, output
    assert "exited with code 3 during the load" in output
    assert "fatal: the request pool is exhausted" in output
    assert condition(card, "load", "error_rate")["status"] == "failed"
    _assert_cleaned_up(marker, out)


def test_strict_confidence_makes_a_short_clean_run_inconclusive(
    tmp_path: Path, marker: str
) -> None:
    code, card, output, out = _run(tmp_path, "strict", _table(_server(marker), """
        rate = 20
        peak_factor = 1
        warmup = 0
        duration = 3
        confidence = "strict"
        endpoints = [{ path = "/items" }]
        """))
    error_rate = condition(card, "load", "error_rate")
    assert code == 1, output
    assert error_rate["value"] == 0
    assert error_rate["status"] == "inconclusive"
    assert "3688 requests would settle it" in error_rate["reason"]
    assert "inconclusive: load: `error_rate`" in output
    stats = gate(card, "load")["details"]["statistics"]["error_rate"]
    assert stats["samples"] == gate(card, "load")["details"]["stages"]["normal"]["requests"]
    assert stats["low"] == 0
    assert stats["high"] > 0.1
    _assert_cleaned_up(marker, out)
