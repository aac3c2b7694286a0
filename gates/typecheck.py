"""The type gate: mypy (to be implemented)."""

from __future__ import annotations

from auditor.errors import GateError
from auditor.model import ConditionSpec, Measurement, OptionSpec
from gates.base import GateConfig, GateContext


class TypeGate:
    id = "type"
    title = "Types"
    tool = "mypy"
    runs_alone = False
    default_timeout = 600.0
    conditions = (
        ConditionSpec("type_errors", "Type errors", "", "<=", 0, "count", "mypy errors"),
        ConditionSpec("type_coverage", "Type coverage", "%", ">=", 100, "percent",
                      "share of expressions whose type is not Any, from mypy's "
                      "--any-exprs-report total"),
    )
    options: tuple[OptionSpec, ...] = ()

    def skip_reason(self, config: GateConfig) -> str | None:
        return None

    def validate(self, config: GateConfig) -> None:
        return None

    def measure(self, ctx: GateContext) -> Measurement:
        raise GateError("the type gate is not implemented yet")
