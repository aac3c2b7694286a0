"""The history gate: build success rate, first-time success rate and MTTR, computed from the runs
the history recorded before this one. It runs after every other gate and only reads the store;
it runs no tool. Off unless `[tool.audit.history] enabled = true`; non-blocking by default.
The store, window and main branch are the run store's keys of that table
(auditor.history.settings)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from auditor.errors import GateError, SkipGateError
from auditor.model import ConditionSpec, Finding, Measurement, OptionSpec, Population
from auditor.plugin import BaseGate, GateConfig, GateContext, GateView
from gates.history.details import HistoryDetails
from gates.history.view import HistoryReportView

BASIS = {
    "build_success_rate": "audits on the main branch that ran the tests or the linter",
    "first_time_success_rate": "branches first audited in the window",
    "mttr_minutes": "recoveries from a failing audit on the main branch",
}
"""What each condition is judged over (its population is named after the condition)."""

class HistoryGate(BaseGate):
    view: GateView | None = HistoryReportView()
    id = "history"
    title = "History"
    tool = "no tool (reads the history store)"
    order = 90
    runs_alone = True
    default_timeout = 120.0
    details_type = HistoryDetails
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
        OptionSpec("enabled", "bool", False,
                   "score the success metrics over time as conditions (they are always shown "
                   "in the scorecard's history section)"),
    )

    def skip_reason(self, config: GateConfig) -> str | None:
        if config.options.get("enabled") is not True:
            return ("not enabled: set `enabled = true` in [tool.audit.history] to score the "
                    "success metrics over time")
        return None

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

        window, min_runs = ref.window_days, ref.min_runs
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
        summary = found.summary()
        details = HistoryDetails(
            window_days=summary.window_days, main_branch=summary.main_branch,
            since=summary.since, figures=summary.figures, episodes=summary.episodes,
            first_audits=summary.first_audits, main_branch_source=ref.main_branch_source,
            store=ref.location.shown,
        )
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
