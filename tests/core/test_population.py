"""The population rule: a condition is judged over a population its gate reports, and an empty
one, or one smaller than what the gate was given, is an error, never a pass."""

from __future__ import annotations

import json

import msgspec
import pytest
from msgspec.structs import replace

from auditor import scoring
from auditor.model import Condition, ConditionSpec, Measurement, Population
from auditor.plugin import GateConfig
from auditor.registry import gates as registered_gates

pytestmark = pytest.mark.unit

TESTS = ConditionSpec("tests_failed", "Failing tests", "", "<=", 0, "count", "",
                      population="tests")
PLAIN = ConditionSpec("p95_ms", "p95", "ms", "<", 200, "ms", "")


def _score(spec: ConditionSpec, measurement: Measurement) -> Condition:
    conditions, problems = scoring.score_conditions(
        [spec], {spec.id: spec.default}, {spec.id: True}, measurement
    )
    assert problems == []
    return conditions[0]


@pytest.mark.parametrize(("population", "status", "said"), [
    (Population("tests executed", 3), "passed", None),
    (Population("tests executed", 1), "passed", None),
    (Population("tests executed", 0), "error", "judged over no tests executed"),
    (Population("files scanned", 3, given=3), "passed", None),
    (Population("files scanned", 2, given=3, left_out=("pkg/bad.py",)), "error",
     "judged over 2 files scanned of the 3 given: 1 were not judged (pkg/bad.py)"),
    (Population("files scanned", 0, given=0), "error", "judged over no files scanned"),
    (None, "error", "reported no population `tests`"),
])
def test_a_passing_value_over_an_empty_or_partial_population_is_an_error(
    population: Population | None, status: str, said: str | None,
) -> None:
    populations = {} if population is None else {"tests": population}
    scored = _score(TESTS, Measurement(values={"tests_failed": 0}, populations=populations))
    assert scored.status == status
    assert scored.population == population
    if said is None:
        assert scored.reason is None
        assert scored.value == 0
    else:
        assert scored.reason is not None
        assert said in scored.reason
        assert scored.value is None


def test_a_failing_value_over_an_empty_population_is_an_error_too() -> None:
    measurement = Measurement(values={"tests_failed": 4},
                              populations={"tests": Population("tests executed", 0)})
    assert _score(TESTS, measurement).status == "error"


def test_a_condition_without_a_declared_population_is_scored_as_before() -> None:
    scored = _score(PLAIN, Measurement(values={"p95_ms": 12.0}))
    assert (scored.status, scored.population) == ("passed", None)


def test_skipped_conditions_need_no_population() -> None:
    scored = _score(TESTS, Measurement(values={}, skipped={"tests_failed": "not asked"}))
    assert (scored.status, scored.reason) == ("skipped", "not asked")


def test_the_population_makes_the_gate_an_error_with_the_reason() -> None:
    gate = registered_gates()["coverage"]
    config = GateConfig(thresholds={c.id: c.default for c in gate.conditions},
                        blocking={c.id: c.blocking for c in gate.conditions}, options={},
                        timeout=60.0)
    skipped = {c.id: "not here" for c in gate.conditions if c.id != "tests_failed"}
    measurement = Measurement(values={"tests_failed": 0}, skipped=skipped,
                              populations={"tests": Population("tests executed", 0)})
    result = scoring.score_measurement(gate, config, measurement, 1.0)
    assert result.status == "error"
    assert result.reason is not None
    assert "judged over no tests executed" in result.reason


def test_the_population_round_trips_through_the_scorecard_json() -> None:
    population = Population("files scanned", 2, given=3, left_out=("a.py",))
    condition = replace(_score(PLAIN, Measurement(values={"p95_ms": 1.0})),
                        population=population)
    data = json.loads(msgspec.json.encode(condition))
    assert data["population"] == {"noun": "files scanned", "size": 2, "given": 3,
                                  "left_out": ["a.py"]}
    assert msgspec.convert(data, Condition) == condition
    assert str(population) == "2 of 3 files scanned"


@pytest.mark.parametrize("gate_id", list(registered_gates()))
def test_every_condition_of_every_gate_declares_its_population(gate_id: str) -> None:
    assert [c.id for c in registered_gates()[gate_id].conditions if not c.population] == []


def _empty_everywhere(gate_id: str) -> Measurement:
    """A value for every condition of the gate, each over an empty population."""
    specs = registered_gates()[gate_id].conditions
    return Measurement(
        values={c.id: c.default for c in specs},
        populations={c.population: Population("things judged", 0) for c in specs},
    )


@pytest.mark.parametrize("gate_id", list(registered_gates()))
def test_every_gate_judging_nothing_is_an_error_on_every_condition(gate_id: str) -> None:
    gate = registered_gates()[gate_id]
    config = GateConfig(thresholds={c.id: c.default for c in gate.conditions},
                        blocking={c.id: c.blocking for c in gate.conditions}, options={},
                        timeout=60.0)
    result = scoring.score_measurement(gate, config, _empty_everywhere(gate_id), 1.0)
    assert result.status == "error"
    assert {c.status for c in result.conditions} == {"error"}
    assert all("judged over no things judged" in str(c.reason) for c in result.conditions)
    assert scoring.exit_code(scoring.overall_status([result])) == 3
