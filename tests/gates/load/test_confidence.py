"""The load gate's statistics: exact binomial and order-statistic intervals, the run length
that settles a verdict, and the strict confidence policy turning an unsettled pass into
`inconclusive`. Reference values are scipy's (`scipy.stats.beta.ppf`, `binom.ppf`)."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from auditor.errors import ConfigError
from auditor.plugin import GateConfig
from auditor.scoring import score_measurement
from gates.load import confidence, measure
from gates.load.db import settings as db_settings
from gates.load.details import LoadDetails
from gates.load.gate import LoadGate
from gates.load.settings import parse
from gates.load.stage_stats import Samples, StageRecord

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(("failures", "total", "low", "high"), [
    (0, 200, 0.0, 0.0182753),      # 1 - 0.025 ** (1 / 200)
    (1, 10, 0.0025286, 0.4450161),
    (5, 100, 0.0164319, 0.1128349),
    (10, 10, 0.6915029, 1.0),
    (0, 3688, 0.0, 0.0009998),
])
def test_binomial_interval_equals_known_values(
    failures: int, total: int, low: float, high: float
) -> None:
    found = confidence.binomial_interval(failures, total)
    assert found.low == pytest.approx(low, abs=1e-6)
    assert found.high == pytest.approx(high, abs=1e-6)


def test_order_statistic_ranks_equal_known_values() -> None:
    assert confidence.order_ranks(1000, 0.5) == (469, 532)
    assert confidence.order_ranks(200, 0.95) == (184, 197)
    # 200 samples cannot bound a p99 from above: the upper rank is past the last sample.
    assert confidence.order_ranks(200, 0.99)[1] > 200
    histogram = dict.fromkeys(range(1, 1001), 1)
    found = confidence.percentile_interval(histogram, 0.95)
    assert (found.low, found.high) == (936.0, 964.0)


def test_requests_to_settle_a_zero_failure_share() -> None:
    # 0 failures show a rate under 0.1% with 95% confidence only from 3,688 requests on.
    assert confidence.requests_to_settle_share(0, 200, 0.001) == 3688
    assert confidence.requests_to_settle_share(1, 200, 0.001) is None


def _record(requests: int, failures: int = 0) -> StageRecord:
    samples = Samples("GET", "/items", requests, failures, {20: requests}, 20.0)
    total = Samples("", "Aggregated", requests, failures, {20: requests}, 20.0)
    return StageRecord(total, (samples,), (), scheduled=requests, late=0, in_flight_left=0,
                       cpu_warning=False, run_s=10.0)


def _scored(requests: int, policy: str) -> dict[str, str]:
    options: dict[str, object] = {
        "start": "app {port}", "endpoints": [{"path": "/items"}], "rate": requests / 10,
        "peak_factor": 1, "duration": 10, "confidence": policy,
    }
    settings = parse(options)
    gate = LoadGate()
    config = GateConfig(
        thresholds={c.id: c.default for c in gate.conditions},
        blocking={c.id: True for c in gate.conditions},
        options=options, timeout=600,
    )
    pair = (_record(requests), _record(requests))
    measurement = measure.judge(settings, config.thresholds, [pair], base=LoadDetails(),
                                tool_version="", service_exit=None)
    # The database conditions come from the service's process, not from these statistics.
    off = dict.fromkeys((c.id for c in db_settings.CONDITIONS), "database timing is off")
    measurement = replace(measurement, skipped={**measurement.skipped, **off})
    result = score_measurement(gate, config, measurement, 1.0)
    statuses: dict[str, str] = {c.id: c.status for c in result.conditions}
    return statuses | {"gate": result.status}


def test_strict_makes_200_clean_requests_inconclusive_and_a_long_run_pass() -> None:
    short = _scored(200, "strict")
    assert short["error_rate"] == "inconclusive"
    assert short["gate"] == "failed"
    long = _scored(4000, "strict")
    assert long["error_rate"] == "passed"
    assert long["peak_error_rate"] == "passed"


def test_estimate_judges_the_measured_value() -> None:
    assert _scored(200, "estimate")["error_rate"] == "passed"


@pytest.mark.parametrize(("extra", "needle"), [
    ({"confidence": "maybe"}, "`confidence`"),
    ({"rate": 10, "peak_users": 50}, "keep one model"),
    ({"rate": 10, "wait": "constant(1)"}, "keep one model"),
    ({"request_timeout": 0}, "`request_timeout`"),
    ({"repeats": 0}, "`repeats`"),
])
def test_open_model_and_statistics_options_are_checked(
    extra: dict[str, object], needle: str
) -> None:
    options: dict[str, object] = {"start": "app {port}", "endpoints": [{"path": "/"}], **extra}
    with pytest.raises(ConfigError, match=re.escape(needle)):
        parse(options)
