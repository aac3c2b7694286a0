"""The security gate: bandit and pip-audit (to be implemented)."""

from __future__ import annotations

from auditor.errors import GateError
from auditor.model import ConditionSpec, Measurement, OptionSpec
from gates.base import GateConfig, GateContext


class SecurityGate:
    id = "security"
    title = "Security"
    tool = "bandit + pip-audit"
    runs_alone = False
    default_timeout = 600.0
    conditions = (
        ConditionSpec("critical_findings", "Critical security findings", "", "<=", 0, "count",
                      "bandit findings of HIGH severity with MEDIUM or higher confidence"),
        ConditionSpec("vulnerabilities", "Vulnerable dependencies", "", "<=", 0, "count",
                      "known vulnerabilities in the target interpreter's installed packages"),
    )
    options = (
        OptionSpec("osv_db", "str", None, "a directory of OSV advisories (YAML or JSON), offline"),
        OptionSpec("osv_url", "str", None, "an OSV-compatible /v1/query URL"),
    )

    def skip_reason(self, config: GateConfig) -> str | None:
        return None

    def validate(self, config: GateConfig) -> None:
        return None

    def measure(self, ctx: GateContext) -> Measurement:
        raise GateError("the security gate is not implemented yet")
