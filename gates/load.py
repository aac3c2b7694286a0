"""The load gate: start the service, drive it with locust (to be implemented)."""

from __future__ import annotations

from auditor.errors import GateError
from auditor.model import ConditionSpec, Measurement, OptionSpec
from gates.base import GateConfig, GateContext


class LoadGate:
    id = "load"
    title = "Load"
    tool = "locust"
    runs_alone = True
    default_timeout = 600.0
    conditions = (
        ConditionSpec("p95_ms", "p95 latency", "ms", "<", 200, "ms",
                      "95th percentile response time at normal load"),
        ConditionSpec("p99_ms", "p99 latency", "ms", "<", 500, "ms",
                      "99th percentile response time at normal load"),
        ConditionSpec("error_rate", "Error rate", "%", "<", 0.1, "percent",
                      "failed requests at normal load"),
        ConditionSpec("peak_p95_ms", "Peak p95 latency", "ms", "<", 200, "ms",
                      "95th percentile response time at peak (10x) load"),
        ConditionSpec("peak_error_rate", "Peak error rate", "%", "<", 0.1, "percent",
                      "failed requests at peak (10x) load"),
    )
    options = (
        OptionSpec("start", "str", None, "command that starts the service; {port} is a free port"),
        OptionSpec("health", "str", "/", "path polled until it answers 2xx"),
        OptionSpec("users", "int", 10, "simulated users at normal load"),
        OptionSpec("duration", "number", 20, "seconds per stage"),
        OptionSpec("endpoints", "table_list", [], "requests to make: path, method, weight"),
        OptionSpec("locustfile", "str", None, "the target's own locustfile instead of endpoints"),
    )

    def skip_reason(self, config: GateConfig) -> str | None:
        if not config.options.get("start"):
            return "no [tool.audit.load] `start` command is configured"
        return None

    def validate(self, config: GateConfig) -> None:
        return None

    def measure(self, ctx: GateContext) -> Measurement:
        raise GateError("the load gate is not implemented yet")
