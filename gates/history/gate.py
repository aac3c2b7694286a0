"""The history gate: build success rate, first-time success rate and MTTR, computed from the runs
the history recorded before this one. It runs after every other gate and only reads the store;
it runs no tool. Off unless `[tool.audit.history] enabled = true`; non-blocking by default."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from auditor.errors import ConfigError, GateError, SkipGateError
from auditor.model import ConditionSpec, Finding, Measurement, OptionSpec, Population
from auditor.plugin import GateConfig, GateContext, GateView
from gates.history.view import HistoryReportView

DEFAULT_WINDOW_DAYS = 30
DEFAULT_MIN_RUNS = 3


def _int_option(config: GateConfig, name: str, default: int) -> int:
    value = config.options.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def settings(config: GateConfig) -> tuple[int, int]:
    """The window in days and the fewest runs a rate needs, from the gate's options."""
    return (
        _int_option(config, "window_days", DEFAULT_WINDOW_DAYS),
        _int_option(config, "min_runs", DEFAULT_MIN_RUNS),
    )


BASIS = {
    "build_success_rate": "audits on the main branch that ran the tests or the linter",
    "first_time_success_rate": "branches first audited in the window",
    "mttr_minutes": "recoveries from a failing audit on the main branch",
}
"""What each condition is judged over (its population is named after the condition)."""

class HistoryGate:
    view: GateView | None = HistoryReportView()
    id = "history"
    title = "History"
    tool = "no tool (reads the history store)"
    runs_alone = True
    default_timeout = 120.0
    conditions: tuple[ConditionSpec, ...] = (
        ConditionSpec("build_success_rate", "Build success rate", "%", ">=", 100, "percent",
                      "audits on the main branch in the window whose tests all passed and whose "
                      "code compiled (no critical lint error)", blocking=False,
                      population="build_success_rate"),
        ConditionSpec("first_time_success_rate", "First-time success rate", "%", ">=", 70,
                      "percent", "branches whose first audit in the window passed",
                      blocking=False, population="first_time_success_rate"),
        ConditionSpec("mttr_minutes", "Mean time to recovery", "min", "<", 30, "count",
                      "mean minutes from a failing audit on the main branch to the next passing "
                      "one, in whole minutes", blocking=False, population="mttr_minutes"),
    )
    options: tuple[OptionSpec, ...] = (
        OptionSpec("store", "str", "",
                   "where runs are recorded: a SQLite file outside the target or a "
                   "postgresql:// URL (default: $AUDIT_HISTORY_URL, else a file per project in "
                   "the user's data directory); the short form is `history = \"...\"` under "
                   "tool.audit"),
        OptionSpec("enabled", "bool", False,
                   "score the success metrics over time as conditions (they are always shown "
                   "in the scorecard's history section)"),
        OptionSpec("window_days", "int", DEFAULT_WINDOW_DAYS,
                   "days of recorded runs the metrics look back over"),
        OptionSpec("main_branch", "str", "",
                   "the main branch (default: the remote's HEAD, else `main`)"),
        OptionSpec("min_runs", "int", DEFAULT_MIN_RUNS,
                   "fewest audits on the main branch (or new branches) a rate needs; with fewer "
                   "it is skipped"),
    )

    def skip_reason(self, config: GateConfig) -> str | None:
        if config.options.get("enabled") is not True:
            return ("not enabled: set `enabled = true` in [tool.audit.history] to score the "
                    "success metrics over time")
        return None

    def validate(self, config: GateConfig) -> None:
        window, min_runs = settings(config)
        if window < 1:
            raise ConfigError("`window_days` in [tool.audit.history] must be at least 1")
        if min_runs < 1:
            raise ConfigError("`min_runs` in [tool.audit.history] must be at least 1")

    def finding_values(self, findings: Sequence[Finding], config: GateConfig) -> dict[str, float]:
        return {}  # the history conditions are figures over recorded runs

    def measure(self, ctx: GateContext) -> Measurement:
        ref = ctx.history
        if ref is None:
            raise SkipGateError("the history is off (--no-history), so there are no earlier runs "
                              "to compute the metrics from")
        # The database layer loads only when the gate runs.
        from auditor.history import metrics  # noqa: PLC0415
        from auditor.history.recorder import describe  # noqa: PLC0415
        from auditor.history.store import opened  # noqa: PLC0415

        window, min_runs = settings(ctx.config)
        ctx.progress("reading the history")
        try:
            with opened(ref.location) as store:
                records = store.builds(ref.target)
        except Exception as exc:  # whatever the store's driver raises
            unread = f"the history at {ref.location.shown} could not be read: {describe(exc)}"
            blocking = [c.id for c in self.conditions if ctx.config.blocking.get(c.id)]
            if blocking:
                # Conditions made blocking must be judged: an unread history is then an error.
                raise GateError(f"{unread}; {', '.join(blocking)} block the run, so the gate "
                                "cannot pass without it") from None
            raise SkipGateError(unread) from None  # non-blocking: a warning, never an error
        now = datetime.now(UTC).replace(tzinfo=None)
        found = metrics.compute(
            records, main_branch=ref.main_branch, window_days=window, now=now, min_runs=min_runs
        )
        details: dict[str, object] = {
            **found.to_details(), "main_branch_source": ref.main_branch_source,
            "store": ref.location.shown,
        }
        values = {k: f.value for k, f in found.figures().items() if f.value is not None}
        skipped = {k: f.reason or "" for k, f in found.figures().items() if f.value is None}
        if not values:
            raise SkipGateError(
                f"too few recorded runs in the last {window} days to compute any metric",
                conditions=skipped, details=details,
            )
        populations = {k: Population(BASIS[k], f.basis) for k, f in found.figures().items()}
        return Measurement(
            values=values, skipped=skipped, details=details, tool_name="history store",
            populations=populations,
        )
