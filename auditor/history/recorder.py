"""After an audit: read what the history knows (the base run, the trend, the metrics), attach it
to the scorecard, then record the run. A history that cannot be read or written becomes a
warning in the scorecard; the scorecard itself and the verdict never depend on it."""

from __future__ import annotations

import os

from msgspec.structs import replace

from auditor.history import metrics
from auditor.history.location import HistoryRef
from auditor.history.section import TREND_RUNS, git_of, trend_run
from auditor.history.setup import MetricSettings
from auditor.history.store import Run, Store, parse_time
from auditor.model import Scorecard
from auditor.sections import BaseFigure, BaseRun, HistorySection, TrendRun

BASE_BRANCH_VARIABLES = ("GITHUB_BASE_REF", "CI_MERGE_REQUEST_TARGET_BRANCH_NAME")
"""Where CI names the branch a pull request goes into; deltas are taken against it."""


BASE_LOOKBACK = 50
"""How many of the base branch's latest runs are searched for one that audited the same gates."""


def audited_gates(card: Scorecard) -> frozenset[str]:
    """The gates of CARD that judged conditions (a skipped gate judges none)."""
    return frozenset(g.id for g in card.gates if g.conditions)


def gates_of(run: Run) -> frozenset[str]:
    """The gates a recorded run judged conditions of."""
    return frozenset(key.split(".", 1)[0] for key in run.figures)


def describe(exc: BaseException) -> str:
    """One line on why the store failed: the driver's own message, without SQL or links."""
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]


def base_branch(main_branch: str) -> str:
    for name in BASE_BRANCH_VARIABLES:
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return main_branch


def _branch(card: Scorecard) -> str | None:
    return git_of(card).branch


def _base_of(run: Run) -> BaseRun:
    label = f"{run.branch or 'detached HEAD'}" + (f" @ {run.commit[:10]}" if run.commit else "")
    return BaseRun(
        source="history", label=label, branch=run.branch, commit=run.commit,
        started_at=run.started_at.isoformat(timespec="seconds") + "Z", status=run.status,
        score=run.score,
        figures={k: BaseFigure(f.value, f.status) for k, f in run.figures.items()},
    )


def _trend_of(run: Run) -> TrendRun:
    return TrendRun(
        started_at=run.started_at.isoformat(timespec="seconds") + "Z", commit=run.commit,
        status=run.status, score=run.score,
        figures={k: f.value for k, f in run.figures.items()},
    )


def attach_and_record(
    card: Scorecard, ref: HistoryRef | None, compare: BaseRun | None, settings: MetricSettings
) -> Scorecard:
    """The scorecard with its history section; the run is recorded when there is a history."""
    branch = _branch(card)
    section = HistorySection(
        store=ref.location.shown if ref else None,
        target=ref.target if ref else None,
        branch=branch,
        base_branch=base_branch(ref.main_branch) if ref else None,
        main_branch=ref.main_branch if ref else None,
        recorded=False,
        warnings=(),
        base=compare,
        trend=(trend_run(card),),
        metrics=None,
    )
    if ref is None:
        return replace(card, history=section)
    try:
        store = Store(ref.location)
    except Exception as exc:  # any failure of the history must leave the audit intact
        warning = (f"the history at {ref.location.shown} could not be opened, so this run was "
                   f"not recorded and has no deltas or trend: {describe(exc)}")
        return replace(card, history=replace(section, warnings=(warning,)))
    try:
        section = _read(store, card, ref, section, compare, settings)
        recorded = replace(section, recorded=True)
        try:
            store.record(replace(card, history=recorded), ref.target)
            section = recorded
        except Exception as exc:  # any failure of the history must leave the audit intact
            section = replace(section, warnings=(*section.warnings, (
                f"this run could not be recorded in the history at {ref.location.shown}: "
                f"{describe(exc)}"
            )))
    finally:
        store.close()
    return replace(card, history=section)


def _read(
    store: Store, card: Scorecard, ref: HistoryRef, section: HistorySection,
    compare: BaseRun | None, settings: MetricSettings,
) -> HistorySection:
    try:
        base = compare
        if base is None and section.base_branch is not None:
            previous = store.runs(ref.target, branch=section.base_branch, limit=BASE_LOOKBACK)
            alike = [run for run in previous if gates_of(run) == audited_gates(card)]
            base = _base_of(alike[0]) if alike else None
        earlier = store.runs(
            ref.target, branch=section.branch, unnamed_branch=section.branch is None,
            limit=TREND_RUNS - 1,
        )
        figures = metrics.compute(
            store.builds(ref.target), main_branch=ref.main_branch,
            window_days=settings.window_days, now=parse_time(card.started_at),
            min_runs=settings.min_runs,
        )
    except Exception as exc:  # any failure of the history must leave the audit intact
        return replace(section, warnings=(
            f"the history at {ref.location.shown} could not be read, so this run has no "
            f"deltas, trend or metrics: {describe(exc)}",
        ))
    return replace(
        section,
        base=base,
        trend=(*(_trend_of(r) for r in reversed(earlier)), *section.trend),
        metrics=figures.summary(),
    )
