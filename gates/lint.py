"""The lint gate: ruff (to be implemented)."""

from __future__ import annotations

from auditor.errors import GateError
from auditor.model import ConditionSpec, Measurement, OptionSpec
from gates.base import GateConfig, GateContext


class LintGate:
    id = "lint"
    title = "Lint"
    tool = "ruff"
    runs_alone = False
    default_timeout = 300.0
    conditions = (
        ConditionSpec("critical_errors", "Critical lint errors", "", "<=", 0, "count",
                      "ruff findings of the critical rules (syntax errors, undefined names, ...)"),
        ConditionSpec("max_warnings_per_file", "Most warnings in one file", "", "<", 5, "count",
                      "the most non-critical ruff findings in any one file"),
    )
    options = (
        OptionSpec("critical_rules", "str_list", ["E9", "F63", "F7", "F82"],
                   "ruff rule prefixes whose findings are critical; always checked"),
    )

    def skip_reason(self, config: GateConfig) -> str | None:
        return None

    def validate(self, config: GateConfig) -> None:
        return None

    def measure(self, ctx: GateContext) -> Measurement:
        raise GateError("the lint gate is not implemented yet")
