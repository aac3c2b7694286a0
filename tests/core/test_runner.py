"""The runner and scoring together: every declared condition ends in the scorecard, with a status.

Gates here are small in-process fakes, so each way a gate can misreport is tested directly.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import msgspec
import pytest

from auditor import runner, scoring
from auditor.errors import GateError
from auditor.model import ConditionSpec, Measurement, OptionSpec
from auditor.plugin import BaseGate, GateConfig, GateContext, GateView
from auditor.scorecard import schema

CONDITIONS = (
    ConditionSpec("critical_errors", "Critical", "", "<=", 0, "count", ""),
    ConditionSpec("coverage", "Coverage", "%", ">=", 80, "percent", ""),
)


class FakeGate(BaseGate):
    """Measures what it is given, or raises it."""

    id = "coverage"
    title = "Fake"
    tool = "nothing"
    runs_alone = False
    default_timeout = 10.0
    conditions: tuple[ConditionSpec, ...] = CONDITIONS
    options: tuple[OptionSpec, ...] = ()
    view: GateView | None = None

    def __init__(self, outcome: Measurement | Exception) -> None:
        self.outcome = outcome

    def skip_reason(self, config: GateConfig) -> str | None:
        return None

    def validate(self, config: GateConfig) -> None:
        return None

    def finding_values(self, findings: object, config: GateConfig) -> dict[str, float]:
        return {}

    def measure(self, ctx: GateContext) -> Measurement:
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return self.outcome


def _plan(tmp_path: Path) -> runner.Plan:
    cfg = GateConfig(
        thresholds={c.id: c.default for c in CONDITIONS},
        blocking={c.id: True for c in CONDITIONS},
        options={},
        timeout=10,
    )
    return runner.Plan(root=tmp_path, python=Path("/usr/bin/python3"), python_source="test",
                       out_dir=tmp_path / "out", gates={"coverage": cfg},
                       selected=("coverage",), enabled={}, jobs=1)


def _run(tmp_path: Path, outcome: Measurement | Exception) -> dict[str, object]:
    result = runner.run_gate(FakeGate(outcome), _plan(tmp_path), tmp_path, runner.NoEvents())
    data: dict[str, object] = json.loads(msgspec.json.encode(result))
    jsonschema.validate(data, schema()["$defs"]["GateResult"] | {"$defs": schema()["$defs"]})
    return data


def _statuses(data: dict[str, object]) -> dict[str, str]:
    conditions = data["conditions"]
    assert isinstance(conditions, list)
    return {c["id"]: c["status"] for c in conditions}


@pytest.mark.unit
def test_a_crashing_gate_is_an_error_not_a_crash(tmp_path: Path) -> None:
    result = runner.run_gate(FakeGate(ValueError("boom")), _plan(tmp_path), tmp_path,
                             runner.NoEvents())
    assert result.status == "error"
    assert result.reason is not None
    assert "ValueError: boom" in result.reason


@pytest.mark.unit
def test_a_gate_error_carries_its_reason(tmp_path: Path) -> None:
    result = runner.run_gate(FakeGate(GateError("tool missing")), _plan(tmp_path), tmp_path,
                             runner.NoEvents())
    assert (result.status, result.reason, result.score) == ("error", "tool missing", 0.0)
    # Nothing was measured, yet no declared condition vanishes: each is an error with the reason.
    assert [(c.id, c.status, c.reason) for c in result.conditions] == [
        ("critical_errors", "error", "tool missing"),
        ("coverage", "error", "tool missing"),
    ]


@pytest.mark.unit
def test_a_condition_measured_under_a_wrong_id_is_an_error(tmp_path: Path) -> None:
    # A typo in the measured id: the blocking condition must not vanish and the gate not pass.
    data = _run(tmp_path, Measurement(values={"critical_error": 3.0, "coverage": 90.0}))
    assert data["status"] == "error"
    assert _statuses(data) == {"critical_errors": "error", "coverage": "passed"}
    assert "`critical_error`, which is not one of its conditions" in str(data["reason"])
    assert "`critical_errors`: the gate measured no value" in str(data["reason"])
    assert scoring.exit_code("error") == 3


@pytest.mark.unit
def test_an_omitted_condition_without_a_reason_is_an_error(tmp_path: Path) -> None:
    data = _run(tmp_path, Measurement(values={"coverage": 90.0}))
    assert data["status"] == "error"
    assert _statuses(data) == {"critical_errors": "error", "coverage": "passed"}


@pytest.mark.unit
def test_an_unknown_id_alone_makes_the_gate_an_error(tmp_path: Path) -> None:
    data = _run(tmp_path, Measurement(
        values={"critical_errors": 0.0, "coverage": 90.0, "extra": 1.0}
    ))
    assert data["status"] == "error"
    assert _statuses(data) == {"critical_errors": "passed", "coverage": "passed"}
    assert "`extra`" in str(data["reason"])


@pytest.mark.unit
def test_an_explicit_skip_keeps_the_gate_passing(tmp_path: Path) -> None:
    data = _run(tmp_path, Measurement(
        values={"critical_errors": 0.0}, skipped={"coverage": "no data"}
    ))
    assert data["status"] == "passed"
    conditions = data["conditions"]
    assert isinstance(conditions, list)
    assert (conditions[1]["status"], conditions[1]["reason"]) == ("skipped", "no data")


@pytest.mark.unit
def test_a_partial_measurement_keeps_what_was_measured(tmp_path: Path) -> None:
    data = _run(tmp_path, Measurement(
        values={"critical_errors": 2.0},
        unmeasured={"coverage": "second tool failed (exit code 1): boom"},
        log_tail="`tool` exited with code 1",
    ))
    assert data["status"] == "error"
    assert data["reason"] == "second tool failed (exit code 1): boom"
    assert _statuses(data) == {"critical_errors": "failed", "coverage": "error"}
    details = data["details"]
    assert isinstance(details, dict)
    assert details["log_tail"] == "`tool` exited with code 1"


@pytest.mark.unit
def test_a_gate_that_measured_nothing_is_an_error(tmp_path: Path) -> None:
    data = _run(tmp_path, Measurement(
        values={}, skipped={"critical_errors": "no", "coverage": "no"}
    ))
    assert data["status"] == "error"
    assert data["reason"] == "the tool ran but measured nothing"


@pytest.mark.unit
def test_tool_warnings_reach_the_details(tmp_path: Path) -> None:
    data = _run(tmp_path, Measurement(
        values={"critical_errors": 0.0, "coverage": 90.0}, warnings=["option x is deprecated"]
    ))
    assert data["status"] == "passed"
    details = data["details"]
    assert isinstance(details, dict)
    assert details["warnings"] == ["option x is deprecated"]


class AloneGate(FakeGate):
    """A gate that runs alone and records when it measured."""

    runs_alone = True

    def __init__(self, gate_id: str, order: int, measured: list[str]) -> None:
        super().__init__(Measurement(values={"critical_errors": 0, "coverage": 90}))
        self.id = gate_id
        self.order = order
        self.measured = measured

    def measure(self, ctx: GateContext) -> Measurement:
        self.measured.append(self.id)
        return super().measure(ctx)


def test_gates_that_run_alone_go_in_their_declared_order_whatever_the_selection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    order: list[str] = []
    gates = {"api": AloneGate("api", 50, order), "load": AloneGate("load", 60, order)}
    monkeypatch.setattr(runner, "registered_gates", lambda: gates)
    config = _plan(tmp_path).gates["coverage"]
    plan = runner.Plan(root=tmp_path, python=Path("/usr/bin/python3"), python_source="test",
                       out_dir=tmp_path / "out", gates={"api": config, "load": config},
                       selected=("load", "api"), enabled={}, jobs=1)
    card = runner.run_audit(plan)
    assert order == ["api", "load"]
    assert [g.id for g in card.gates] == ["load", "api"]
