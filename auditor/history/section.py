"""The scorecard's `history` section (typed in auditor.sections) made from scorecards: the run
deltas are taken against and the runs of the trend."""

from __future__ import annotations

from collections.abc import Sequence

from auditor.model import GitInfo, Scorecard
from auditor.sections import BaseFigure, BaseRun, TrendRun

TREND_RUNS = 20
"""Runs drawn in the trend, the current one included."""
NO_GIT = GitInfo(commit=None, branch=None, dirty=None)


def git_of(card: Scorecard) -> GitInfo:
    """The scorecard's git facts (commit, branch, dirty), all None outside a git checkout."""
    return card.target.git or NO_GIT


def base_run(card: Scorecard, source: str, fallback_label: str) -> BaseRun:
    """CARD as the run deltas are taken against."""
    git = git_of(card)
    label = f"{git.branch or fallback_label}" + (f" @ {git.commit[:10]}" if git.commit else "")
    return BaseRun(
        source=source, label=label, branch=git.branch, commit=git.commit,
        started_at=card.started_at, status=card.status, score=card.score,
        figures={
            f"{g.id}.{c.id}": BaseFigure(c.value, c.status)
            for g in card.gates for c in g.conditions
        },
    )


def trend_run(card: Scorecard) -> TrendRun:
    """CARD as one run of the trend."""
    return TrendRun(
        started_at=card.started_at, commit=git_of(card).commit, status=card.status,
        score=card.score,
        figures={f"{g.id}.{c.id}": c.value for g in card.gates for c in g.conditions},
    )


def key_condition(conditions: Sequence[tuple[str, str]]) -> str:
    """A gate's key figure among its (condition id, unit) pairs: the first level with a unit
    (line coverage, p95), else the first count (critical errors)."""
    return next((cid for cid, unit in conditions if unit), conditions[0][0])
