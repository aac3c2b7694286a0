"""`[tool.audit.load]` read and checked: the defaults, how they follow each other, and which
error a table with several problems reports first."""

from __future__ import annotations

import re

import pytest

from auditor.errors import ConfigError
from gates.load.settings import WaitModel, parse

pytestmark = pytest.mark.unit

ENDPOINTS: dict[str, object] = {"start": "app {port}", "endpoints": [{"path": "/items"}]}


def test_an_endpoints_table_gets_the_documented_defaults() -> None:
    settings = parse(dict(ENDPOINTS))
    assert (settings.users, settings.peak_users) == (10, 100)
    assert (settings.spawn_rate, settings.peak_spawn_rate) == (10.0, 100.0)
    assert (settings.duration, settings.warmup, settings.request_timeout) == (40.0, 2.0, 10.0)
    assert settings.wait == WaitModel("constant_throughput", (1.0,))
    assert (settings.processes, settings.expect_workers, settings.repeats) == (1, 0, 1)
    assert (settings.master_bind_host, settings.master_bind_port) == ("127.0.0.1", 5557)
    assert (settings.workers_timeout, settings.locust_command) == (60.0, ())
    assert (settings.rate, settings.peak_factor, settings.confidence) == (None, 10, "estimate")
    assert settings.locustfile is None
    assert not settings.open_model
    assert not settings.distributed


def test_peak_users_and_spawn_rates_follow_users_and_the_peak_factor() -> None:
    settings = parse({**ENDPOINTS, "users": 3, "peak_factor": 2.5})
    assert (settings.users, settings.peak_users) == (3, 8)
    assert (settings.spawn_rate, settings.peak_spawn_rate) == (3.0, 8.0)
    given = parse({**ENDPOINTS, "users": 3, "peak_users": 5, "spawn_rate": 1,
                   "peak_spawn_rate": 2.5})
    assert (given.peak_users, given.spawn_rate, given.peak_spawn_rate) == (5, 1.0, 2.5)


def test_the_open_model_counts_streams_of_at_most_one_request_a_second() -> None:
    settings = parse({**ENDPOINTS, "rate": 250, "peak_factor": 3})
    assert settings.open_model
    assert settings.open_streams() == (100, 300, 2.5)
    assert settings.offered_rps(peak=False) == 250.0
    assert settings.offered_rps(peak=True) == 750.0
    slow = parse({**ENDPOINTS, "rate": 0.5, "peak_factor": 0.1})
    assert slow.open_streams() == (1, 1, 0.5)


def test_the_load_generator_options_are_read() -> None:
    settings = parse({**ENDPOINTS, "expect_workers": 3, "master_bind_host": "10.0.0.5",
                      "master_bind_port": 6000, "workers_timeout": 12.5,
                      "locust_command": ["locust", 2]})
    assert settings.distributed
    assert (settings.expect_workers, settings.master_bind_host) == (3, "10.0.0.5")
    assert (settings.master_bind_port, settings.workers_timeout) == (6000, 12.5)
    assert settings.locust_command == ("locust", "2")


@pytest.mark.parametrize("name", [
    "users", "peak_users", "spawn_rate", "peak_spawn_rate", "duration", "processes",
    "request_timeout", "repeats", "peak_factor", "rate",
])
def test_sizes_must_be_above_zero(name: str) -> None:
    needle = f"`{name}` in [tool.audit.load] must be above 0"
    with pytest.raises(ConfigError, match=re.escape(needle)):
        parse({**ENDPOINTS, name: 0})


@pytest.mark.parametrize(("options", "needle"), [
    ({"locustfile": "l.py"}, "both `endpoints` and `locustfile`"),
    ({"endpoints": [], "locustfile": "l.py", "wait": "none"}, "a locustfile sets its own"),
    ({"endpoints": [], "locustfile": "l.py", "rate": 5}, "a locustfile's users are a closed"),
    ({"endpoints": [], "locustfile": None}, "no scenario"),
    ({"expect_workers": 2, "processes": 2}, "both `processes` and `expect_workers`"),
    ({"master_bind_port": 70000}, "between 1 and 65535"),
    ({"wait": "between(2, 1)"}, "needs min <= max"),
])
def test_contradictions_are_config_errors(options: dict[str, object], needle: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(needle)):
        parse({**ENDPOINTS, **options})


@pytest.mark.parametrize(("options", "first"), [
    # The scenario, then the load model, the confidence policy, the sizes, the load generator
    # and last the wait expression.
    ({"endpoints": [{"path": "x"}], "peak_factor": 0}, "`path` is required"),
    ({"peak_factor": 0, "rate": 10, "peak_users": 3}, "`peak_factor`"),
    ({"rate": 10, "peak_users": 3, "confidence": "maybe"}, "keep one model"),
    ({"confidence": "maybe", "users": 0}, "`confidence`"),
    ({"users": 0, "processes": 0}, "`users`"),
    ({"processes": 0, "expect_workers": 2}, "`processes`"),
    ({"expect_workers": 2, "processes": 2, "master_bind_port": 0}, "`expect_workers`"),
    ({"master_bind_port": 0, "wait": "sometimes"}, "`master_bind_port`"),
])
def test_the_first_problem_in_reading_order_is_the_one_reported(
    options: dict[str, object], first: str,
) -> None:
    with pytest.raises(ConfigError, match=re.escape(first)):
        parse({**ENDPOINTS, **options})
