"""The load gate against real services on loopback, started and stopped by the audit itself.

The service is tests/fixtures/load_server.py (standard library, TCP_NODELAY, keep-alive), with a
fixed delay and a deterministic share of 500 answers. Every test checks afterwards that no
process of the service or of locust is left and that the port accepts nothing any more.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from auditor.scoring import round_value
from gates.load import locust_run
from gates.service import free_port
from tests.helpers import FIXTURES, condition, gate, load_scorecard, run_cli, write_project

pytestmark = pytest.mark.slow

SERVER = FIXTURES / "load_server.py"
# Locust rounds percentiles to whole milliseconds below 100 ms.
ROUNDING_MS = 1.0
# Other test suites share the 2 cores: scheduling delays on top of the service's own time.
LOADED_MACHINE_MS = 25.0
BUSY_MACHINE_LATENCY = "\n".join(["p95_ms = 2000", "p99_ms = 5000", "peak_p95_ms = 2000",
                                 "endpoint_p95_ms = 2000"])
"""Latency targets for tests whose subject is not latency (how load is generated, which
locustfile runs): the parallel suite's other work must not fail them."""


def _toml(value: object) -> str:
    return json.dumps(value)


def _server_cmd(marker: str, *args: str) -> str:
    return shlex.join(["python", str(SERVER), "--port", "{port}", "--marker", marker, *args])


def _project(tmp_path: Path, load_table: str) -> Path:
    return write_project(tmp_path / "svc", {
        "pyproject.toml": '[project]\nname = "svc"\nversion = "0"\n\n[tool.audit.load]\n'
        + load_table,
    })


def _audit(root: Path, out: Path, timeout: float = 150) -> tuple[int, dict[str, Any], str]:
    result = run_cli(
        "run", root, "--gates", "load", "--out", out, "--python", sys.executable,
        timeout=timeout,
    )
    card = load_scorecard(out)
    return result.code, card, result.stdout + result.stderr


def _pids(pattern: str) -> list[str]:
    found = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True, check=False)
    return [p for p in found.stdout.split() if p]


def _service_port(out: Path) -> int | None:
    log = out / "load-service.log"
    match = re.search(r"listening on 127\.0\.0\.1:(\d+)", log.read_text()) if log.exists() else None
    return int(match.group(1)) if match else None


def _assert_cleaned_up(marker: str, out: Path) -> None:
    """No process of the service or of locust is left, and the service's port is closed."""
    deadline = time.monotonic() + 5
    while (_pids(marker) or _pids(str(out))) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _pids(marker) == [], "a process of the service was left running"
    assert _pids(str(out)) == [], "a locust process was left running"
    port = _service_port(out)
    if port is not None:
        with socket.socket() as sock:
            assert sock.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still accepts"
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", port))


def _aggregated(csv_path: Path) -> dict[str, str]:
    with csv_path.open(newline="", encoding="utf-8") as handle:
        return next(r for r in csv.DictReader(handle) if r["Name"] == "Aggregated")


@pytest.fixture
def marker() -> str:
    return f"loadtest-{uuid.uuid4().hex}"


def test_fast_service_passes_and_figures_match_locust_csv(tmp_path: Path, marker: str) -> None:
    root = _project(tmp_path, f"""
        start = {_toml(_server_cmd(marker, "--delay-ms", "50"))}
        health = "/health"
        users = 4
        peak_users = 12
        duration = 3
        wait = "constant_throughput(4)"
        endpoints = [
            {{ path = "/items" }},
            {{ path = "/orders", method = "POST", weight = 2, json = {{ qty = 1 }} }},
        ]
    """.replace("\n        ", "\n"))
    out = tmp_path / "out"
    code, card, output = _audit(root, out)
    load = gate(card, "load")
    assert code == 0, (output, load["reason"])
    assert load["status"] == "passed"
    p95 = condition(card, "load", "p95_ms")["value"]
    # Never faster than the service's own delay; within 10% of it plus rounding and load.
    assert 50 <= p95 <= 50 * 1.1 + ROUNDING_MS + LOADED_MACHINE_MS, p95
    details = load["details"]
    for stage, prefix in (("normal", "load-normal"), ("peak", "load-peak")):
        row = _aggregated(out / f"{prefix}_stats.csv")
        figures = details["stages"][stage]
        assert figures["requests"] == int(row["Request Count"]) > 0
        assert figures["failures"] == int(row["Failure Count"]) == 0
        assert figures["p95_ms"] == float(row["95%"])
        assert figures["p99_ms"] == float(row["99%"])
        assert figures["p50_ms"] == float(row["50%"])
        names = {(e["method"], e["name"]) for e in figures["endpoints"]}
        assert names == {("GET", "/items"), ("POST", "/orders")}
    assert condition(card, "load", "p95_ms")["value"] == float(
        _aggregated(out / "load-normal_stats.csv")["95%"]
    )
    assert condition(card, "load", "peak_p95_ms")["value"] == float(
        _aggregated(out / "load-peak_stats.csv")["95%"]
    )
    assert details["stages"]["normal"]["users"] == 4
    assert details["stages"]["peak"]["users"] == 12
    assert details["saturated"] in (True, False)
    assert any("rounded histogram" in note for note in details["notes"])
    assert (out / "load-service.log").is_file()
    _assert_cleaned_up(marker, out)


def test_multi_process_load_generation(tmp_path: Path, marker: str) -> None:
    root = _project(tmp_path, f"""
        start = {_toml(_server_cmd(marker, "--delay-ms", "20"))}
        health = "/health"
        users = 4
        peak_users = 8
        warmup = 1
        duration = 3
        processes = 2
        endpoints = [{{ path = "/items" }}]
        {BUSY_MACHINE_LATENCY}
    """.replace("\n        ", "\n"))
    out = tmp_path / "out"
    code, card, output = _audit(root, out)
    load = gate(card, "load")
    assert code == 0, (output, load["reason"])
    assert load["details"]["load_generator"]["processes"] == 2
    for stage, prefix in (("normal", "load-normal"), ("peak", "load-peak")):
        row = _aggregated(out / f"{prefix}_stats.csv")
        assert load["details"]["stages"][stage]["requests"] == int(row["Request Count"]) > 0
    _assert_cleaned_up(marker, out)


def test_slow_service_fails_p95(tmp_path: Path, marker: str) -> None:
    root = _project(tmp_path, f"""
        start = {_toml(_server_cmd(marker, "--delay-ms", "300"))}
        health = "/health"
        users = 3
        peak_users = 6
        warmup = 1
        duration = 3
        endpoints = [{{ path = "/slow" }}]
    """.replace("\n        ", "\n"))
    out = tmp_path / "out"
    code, card, output = _audit(root, out)
    assert code == 1, (output, gate(card, "load")["reason"])
    p95 = condition(card, "load", "p95_ms")
    assert p95["status"] == "failed"
    assert p95["value"] >= 300
    assert p95["value"] == float(_aggregated(out / "load-normal_stats.csv")["95%"])
    _assert_cleaned_up(marker, out)


def test_failing_requests_give_the_error_rate(tmp_path: Path, marker: str) -> None:
    root = _project(tmp_path, f"""
        start = {_toml(_server_cmd(marker, "--fail-share", "0.05"))}
        health = "/health"
        users = 4
        peak_users = 8
        warmup = 1
        duration = 3
        wait = "constant_throughput(20)"
        endpoints = [{{ path = "/items" }}]
    """.replace("\n        ", "\n"))
    out = tmp_path / "out"
    code, card, output = _audit(root, out)
    assert code == 1, (output, gate(card, "load")["reason"])
    rate = condition(card, "load", "error_rate")
    assert rate["status"] == "failed"
    row = _aggregated(out / "load-normal_stats.csv")
    measured = 100 * int(row["Failure Count"]) / int(row["Request Count"])
    # Conditions hold the value at the precision it is compared at (2 places for percent).
    assert rate["value"] == round_value(measured, "percent")
    details = gate(card, "load")["details"]["stages"]["normal"]
    assert details["error_rate"] == pytest.approx(measured, abs=1e-4)
    # Every 20th request answers 500; requests cut off at the end of a stage shift it a little.
    assert 3 <= rate["value"] <= 7, rate["value"]
    assert condition(card, "load", "peak_error_rate")["status"] == "failed"
    seen = gate(card, "load")["details"]["stages"]["normal"]["failures_seen"]
    assert seen
    assert "HTTP 500" in seen[0]["error"]
    assert sum(f["count"] for f in seen) == int(row["Failure Count"])
    _assert_cleaned_up(marker, out)


def test_service_that_exits_at_once_is_an_error_with_its_log(
    tmp_path: Path, marker: str
) -> None:
    start = shlex.join([
        "python", "-c", "import sys; print('cannot open the database'); sys.exit(4)",
        "{port}", marker,
    ])
    root = _project(tmp_path, f"""
        start = {_toml(start)}
        health = "/health"
        endpoints = [{{ path = "/" }}]
    """.replace("\n        ", "\n"))
    out = tmp_path / "out"
    code, card, output = _audit(root, out)
    load = gate(card, "load")
    assert code == 3, output
    assert load["status"] == "error"
    assert "exited with code 4" in load["reason"]
    assert "cannot open the database" in load["reason"]
    assert "cannot open the database" in load["details"]["log_tail"]
    _assert_cleaned_up(marker, out)


@pytest.mark.parametrize(("flag", "startup_timeout", "said", "within_s"), [
    # Still starting (503): polled until `startup_timeout`.
    ("--never-healthy", 2, ["did not answer 2xx", "HTTP 503"], 15),
    # No such path (404): an error at once, not after the 60 s `startup_timeout`.
    ("--no-health", 60, ["GET /health answered 404", "set `health` to a path that answers 2xx"],
     30),
], ids=["never healthy", "no health path"])
def test_never_healthy_service_is_an_error_soon(
    tmp_path: Path, marker: str, flag: str, startup_timeout: int, said: list[str], within_s: int,
) -> None:
    root = _project(tmp_path, f"""
        start = {_toml(_server_cmd(marker, flag))}
        health = "/health"
        startup_timeout = {startup_timeout}
        endpoints = [{{ path = "/" }}]
    """.replace("\n        ", "\n"))
    out = tmp_path / "out"
    started = time.monotonic()
    code, card, output = _audit(root, out)
    load = gate(card, "load")
    assert code == 3, output
    for words in said:
        assert words in load["reason"]
    assert load["duration_s"] < within_s
    assert time.monotonic() - started < 30
    _assert_cleaned_up(marker, out)


def test_locustfile_with_syntax_error_is_an_error(tmp_path: Path, marker: str) -> None:
    root = _project(tmp_path, f"""
        start = {_toml(_server_cmd(marker))}
        health = "/health"
        duration = 2
        locustfile = "load/locustfile.py"
    """.replace("\n        ", "\n"))
    (root / "load").mkdir()
    (root / "load" / "locustfile.py").write_text(
        "from locust import HttpUser, task\n\nclass Shopper(HttpUser)\n    pass\n"
    )
    out = tmp_path / "out"
    code, card, output = _audit(root, out)
    load = gate(card, "load")
    assert code == 3, output
    assert "locust exited with code" in load["reason"]
    assert "SyntaxError" in load["details"]["log_tail"]
    assert not list(root.rglob("__pycache__")), "bytecode was written into the target"
    _assert_cleaned_up(marker, out)


def test_target_locustfile_is_used(tmp_path: Path, marker: str) -> None:
    root = _project(tmp_path, f"""
        start = {_toml(_server_cmd(marker))}
        health = "/health"
        users = 2
        peak_users = 4
        warmup = 1
        duration = 2
        locustfile = "locustfile.py"
        {BUSY_MACHINE_LATENCY}
    """.replace("\n        ", "\n"))
    (root / "locustfile.py").write_text(
        "from locust import HttpUser, constant_throughput, task\n\n\n"
        "class Browser(HttpUser):\n"
        "    wait_time = constant_throughput(5)\n\n"
        "    @task\n"
        "    def catalogue(self):\n"
        "        self.client.get('/catalogue')\n"
    )
    out = tmp_path / "out"
    code, card, output = _audit(root, out)
    load = gate(card, "load")
    assert code == 0, (output, load["reason"])
    endpoints = load["details"]["stages"]["normal"]["endpoints"]
    assert [e["name"] for e in endpoints] == ["/catalogue"]
    assert not list(root.rglob("__pycache__")), "bytecode was written into the target"
    _assert_cleaned_up(marker, out)


def test_locust_command_that_writes_nothing_is_an_error(tmp_path: Path, marker: str) -> None:
    fake = ["python3", "-c", "print('this is not locust')"]
    root = _project(tmp_path, f"""
        start = {_toml(_server_cmd(marker))}
        health = "/health"
        duration = 1
        endpoints = [{{ path = "/" }}]
        locust_command = {_toml(fake)}
    """.replace("\n        ", "\n"))
    out = tmp_path / "out"
    code, card, output = _audit(root, out)
    load = gate(card, "load")
    assert code == 3, output
    assert "locust wrote no statistics for the normal stage" in load["reason"]
    _assert_cleaned_up(marker, out)


def test_master_with_two_workers(tmp_path: Path, marker: str) -> None:
    master_port = free_port()
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "locust", "--worker", "-f", "-", "--master-host",
             "127.0.0.1", "--master-port", str(master_port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path,
            start_new_session=True,
        )
        for _ in range(2)
    ]
    try:
        root = _project(tmp_path, f"""
            start = {_toml(_server_cmd(marker, "--delay-ms", "20"))}
            health = "/health"
            users = 4
            peak_users = 8
            duration = 3
            wait = "constant_throughput(4)"
            expect_workers = 2
            master_bind_port = {master_port}
            workers_timeout = 30
            endpoints = [{{ path = "/items" }}]
            {BUSY_MACHINE_LATENCY}
        """.replace("\n            ", "\n"))
        out = tmp_path / "out"
        code, card, output = _audit(root, out)
        load = gate(card, "load")
        assert code == 0, (output, load["reason"], load["details"].get("log_tail"))
        assert load["details"]["load_generator"]["workers"] == 2
        log = (out / "load-locust.log").read_text()
        assert "2 workers connected" in log or "Worker" in log
        for stage, prefix in (("normal", "load-normal"), ("peak", "load-peak")):
            row = _aggregated(out / f"{prefix}_stats.csv")
            assert load["details"]["stages"][stage]["requests"] == int(row["Request Count"]) > 0
        # Workers leave when the master quits at the end of both stages.
        for worker in workers:
            worker.wait(timeout=20)
        _assert_cleaned_up(marker, out)
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()


@pytest.mark.parametrize(
    ("table", "needles"),
    [
        ('start = "python -m app"\nendpoints = [{ path = "/" }]\n', ["{port}", "`port`"]),
        ('start = "python -m app --port {port}"\n', ["no scenario", "endpoints"]),
        ('start = "app {port}"\nlocustfile = "l.py"\nendpoints = [{ path = "/" }]\n',
         ["both `endpoints` and `locustfile`"]),
        ('start = "app {port}"\nendpoints = [{ method = "GET" }]\n', ["`path` is required"]),
        ('start = "app {port}"\nendpoints = [{ path = "/", verb = "GET" }]\n',
         ["`verb` is not a key"]),
        ('start = "app {port}"\nendpoints = [{ path = "/", method = "FETCH" }]\n',
         ["`method` must be one of"]),
        ('start = "app {port}"\nendpoints = [{ path = "/" }]\nwait = "sometimes"\n',
         ["`wait`", "constant_throughput"]),
        ('start = "app {port}"\nendpoints = [{ path = "/" }]\nusers = 0\n', ["`users`", "above 0"]),
    ],
)
def test_config_errors_exit_2(tmp_path: Path, table: str, needles: list[str]) -> None:
    root = _project(tmp_path, table)
    result = run_cli("run", root, "--gates", "load", "--out", tmp_path / "out", timeout=60)
    assert result.code == 2, result.stderr
    for needle in needles:
        assert needle in result.stderr, result.stderr


def test_without_start_the_gate_is_skipped(tmp_path: Path) -> None:
    root = _project(tmp_path, 'users = 5\n\n[tool.audit]\ngates = ["load"]\n')
    out = tmp_path / "out"
    run_cli("run", root, "--out", out, "--python", sys.executable)
    load = gate(load_scorecard(out), "load")
    assert load["status"] == "skipped"
    assert "start" in load["reason"]
    # Asked for by name, a gate that cannot run is an error.
    result = run_cli("run", root, "--gates", "load", "--out", tmp_path / "asked", "--python",
                     sys.executable)
    assert result.code == 3
    load = gate(load_scorecard(tmp_path / "asked"), "load")
    assert load["status"] == "error"
    assert "start" in load["reason"]


def test_interrupt_stops_the_service_and_locust(tmp_path: Path, marker: str) -> None:
    root = _project(tmp_path, f"""
        start = {_toml(_server_cmd(marker))}
        health = "/health"
        users = 2
        duration = 30
        endpoints = [{{ path = "/" }}]
    """.replace("\n        ", "\n"))
    out = tmp_path / "out"
    audit = subprocess.Popen(
        [sys.executable, "-m", "auditor", "run", str(root), "--gates", "load", "--out", str(out),
         "--python", sys.executable],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    try:
        log = out / "load-locust.log"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and "All users spawned" not in (
            log.read_text() if log.exists() else ""
        ):
            time.sleep(0.2)
        assert _pids(marker), "the service was not running during the load"
        assert _pids(str(out)), "locust was not running"
        audit.send_signal(signal.SIGINT)
        _, stderr = audit.communicate(timeout=30)
    finally:
        if audit.poll() is None:
            audit.kill()
            audit.wait()
    assert audit.returncode == 130, stderr
    _assert_cleaned_up(marker, out)


def test_saturation_markers_match_locusts_own_warnings() -> None:
    # The warnings come from locust's runners; reading its source keeps the markers honest
    # when locust changes its wording.
    spec = importlib.util.find_spec("locust")
    assert spec is not None
    assert spec.origin is not None
    runners = Path(spec.origin).parent / "runners.py"
    source = runners.read_text(encoding="utf-8")
    found = [m for m in locust_run.SATURATION_MARKERS if m in source]
    assert found == list(locust_run.SATURATION_MARKERS)
    line = next(ln for ln in source.splitlines() if "CPU usage above" in ln)
    assert locust_run.saturated(line)
    assert not locust_run.saturated("All users spawned: 5 total users")
