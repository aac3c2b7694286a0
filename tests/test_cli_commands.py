"""`audit init`, `audit gates` and the runner's handling of a gate that crashes."""

from __future__ import annotations

import tomllib
from pathlib import Path

from auditor import config, runner
from auditor.errors import GateError
from auditor.model import ConditionSpec, Measurement, OptionSpec
from gates.base import GateConfig, GateContext
from gates.registry import GATES
from tests.helpers import run_cli, write_project


def test_init_writes_every_default_and_the_result_loads(tmp_path: Path) -> None:
    root = write_project(tmp_path / "proj", {"pyproject.toml": '[project]\nname = "p"\n'})
    result = run_cli("init", root)
    assert result.code == 0, result.stderr
    text = (root / "pyproject.toml").read_text()
    assert text.startswith('[project]\nname = "p"\n')
    section = tomllib.loads(text)["tool"]["audit"]
    for gate in GATES.values():
        for spec in gate.conditions:
            assert section[gate.id][spec.id] == spec.default
    loaded = config.load(root, None)
    assert loaded.selected == tuple(GATES)


def test_init_refuses_to_overwrite(tmp_path: Path) -> None:
    root = write_project(tmp_path / "proj", {"pyproject.toml": "[tool.audit]\n"})
    result = run_cli("init", root)
    assert result.code == 2
    assert "already has a [tool.audit] section" in result.stderr
    assert (root / "pyproject.toml").read_text() == "[tool.audit]\n"


def test_gates_lists_every_condition_with_operator_and_precision() -> None:
    result = run_cli("gates")
    assert result.code == 0
    for gate in GATES.values():
        for spec in gate.conditions:
            assert spec.id in result.stdout
    assert "2 decimal places" in result.stdout.replace("\n", " ")


def test_help_lists_commands() -> None:
    result = run_cli("--help")
    assert result.code == 0
    for command in ("run", "init", "gates", "report"):
        assert command in result.stdout


class _CrashingGate:
    id = "coverage"
    title = "Crashing"
    tool = "nothing"
    runs_alone = False
    default_timeout = 10.0
    conditions: tuple[ConditionSpec, ...] = (ConditionSpec("x", "X", "", "<=", 0, "count", ""),)
    options: tuple[OptionSpec, ...] = ()

    def __init__(self, exc: Exception) -> None:
        self.exc = exc

    def skip_reason(self, config: GateConfig) -> str | None:
        return None

    def validate(self, config: GateConfig) -> None:
        return None

    def measure(self, ctx: GateContext) -> Measurement:
        raise self.exc


def _plan(tmp_path: Path) -> runner.Plan:
    cfg = GateConfig(thresholds={"x": 0}, blocking={"x": True}, options={}, timeout=10)
    return runner.Plan(root=tmp_path, python=Path("/usr/bin/python3"), python_source="test",
                       out_dir=tmp_path / "out", gates={"coverage": cfg},
                       selected=("coverage",), enabled={}, jobs=1)


def test_a_crashing_gate_is_an_error_not_a_crash(tmp_path: Path) -> None:
    result = runner.run_gate(_CrashingGate(ValueError("boom")), _plan(tmp_path), tmp_path,
                             runner.NoEvents())
    assert result.status == "error"
    assert result.reason is not None
    assert "ValueError: boom" in result.reason


def test_a_gate_error_carries_its_reason(tmp_path: Path) -> None:
    result = runner.run_gate(_CrashingGate(GateError("tool missing")), _plan(tmp_path), tmp_path,
                             runner.NoEvents())
    assert (result.status, result.reason, result.score) == ("error", "tool missing", 0.0)
