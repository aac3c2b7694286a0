"""The coverage gate: the target's tests under pytest and coverage.py (to be implemented)."""

from __future__ import annotations

from auditor.errors import GateError
from auditor.model import ConditionSpec, Measurement, OptionSpec
from gates.base import GateConfig, GateContext


class CoverageGate:
    id = "coverage"
    title = "Tests and coverage"
    tool = "pytest + coverage.py"
    runs_alone = False
    default_timeout = 900.0
    conditions = (
        ConditionSpec("tests_failed", "Failing tests", "", "<=", 0, "count",
                      "tests that failed or errored"),
        ConditionSpec("line_coverage", "Line coverage", "%", ">=", 80, "percent",
                      "coverage.py total for the measured files, as `coverage report` prints it"),
        ConditionSpec("critical_coverage", "Critical path coverage", "%", ">=", 100, "percent",
                      "lowest coverage of any file matching `critical_paths`"),
    )
    options = (
        OptionSpec("critical_paths", "str_list", [],
                   "globs relative to the target root that must be fully covered"),
    )

    def skip_reason(self, config: GateConfig) -> str | None:
        return None

    def validate(self, config: GateConfig) -> None:
        return None

    def measure(self, ctx: GateContext) -> Measurement:
        raise GateError("the coverage gate is not implemented yet")
