"""The success metrics that only many runs can show, as pure functions of recorded runs.

- build success rate: of the audits on the main branch in the window that ran the tests or the
  linter, the share whose tests all passed (`tests_failed` measured 0) and whose code compiled
  (`critical_errors` measured 0, neither an error);
- first-time success rate: of the branches other than main whose first audit ever falls in the
  window, the share whose first audit passed;
- MTTR: the mean time from a failing audit on the main branch (failed or error, after a pass or
  at the start of the window) to the next passing one; an unrecovered failure is listed, not
  counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from auditor.sections import Episode as EpisodeRow
from auditor.sections import FirstAudit as FirstAuditRow
from auditor.sections import MetricFigure
from auditor.sections import Metrics as MetricsSummary

if TYPE_CHECKING:
    from auditor.history.store import BuildRecord

MAX_LISTED = 50
"""Episodes and branches listed in the details; the figures count them all."""


@dataclass(frozen=True)
class Figure:
    """One metric: its value, or why it has none, and how many runs (or branches) are behind it."""

    value: float | None
    basis: int
    reason: str | None


@dataclass(frozen=True)
class Episode:
    failed_at: datetime
    recovered_at: datetime | None

    @property
    def minutes(self) -> float | None:
        if self.recovered_at is None:
            return None
        return (self.recovered_at - self.failed_at).total_seconds() / 60


@dataclass(frozen=True)
class FirstAudit:
    branch: str
    at: datetime
    status: str


@dataclass(frozen=True)
class Metrics:
    window_days: int
    main_branch: str
    since: datetime
    build_success_rate: Figure
    first_time_success_rate: Figure
    mttr_minutes: Figure
    episodes: list[Episode]
    first_audits: list[FirstAudit]

    def figures(self) -> dict[str, Figure]:
        return {
            "build_success_rate": self.build_success_rate,
            "first_time_success_rate": self.first_time_success_rate,
            "mttr_minutes": self.mttr_minutes,
        }

    def summary(self) -> MetricsSummary:
        """The figures with their basis, the window and the lists behind them."""
        return MetricsSummary(
            window_days=self.window_days,
            main_branch=self.main_branch,
            since=_iso(self.since),
            figures={
                key: MetricFigure(value=f.value, basis=f.basis, reason=f.reason)
                for key, f in self.figures().items()
            },
            episodes=tuple(
                EpisodeRow(
                    failed_at=_iso(e.failed_at),
                    recovered_at=_iso(e.recovered_at) if e.recovered_at else None,
                    minutes=None if e.minutes is None else round(e.minutes, 2),
                )
                for e in self.episodes[-MAX_LISTED:]
            ),
            first_audits=tuple(
                FirstAuditRow(branch=f.branch, at=_iso(f.at), status=f.status)
                for f in self.first_audits[-MAX_LISTED:]
            ),
        )


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds") + "Z"


def _build_rate(main_runs: Sequence[BuildRecord], main: str, days: int, min_runs: int) -> Figure:
    builds = [r for r in main_runs if r.build_ok is not None]
    if len(builds) < min_runs:
        return Figure(None, len(builds), (
            f"{len(builds)} audit(s) on `{main}` ran the tests or the linter in the last "
            f"{days} days; at least {min_runs} are needed"
        ))
    good = sum(1 for r in builds if r.build_ok)
    return Figure(100 * good / len(builds), len(builds), None)


def _first_audits(
    records: Sequence[BuildRecord], main: str, since: datetime
) -> list[FirstAudit]:
    first: dict[str, BuildRecord] = {}
    for record in records:
        if record.branch and record.branch != main and record.branch not in first:
            first[record.branch] = record
    return [
        FirstAudit(branch, r.started_at, r.status)
        for branch, r in first.items()
        if r.started_at >= since
    ]


def _first_time_rate(firsts: Sequence[FirstAudit], days: int, min_runs: int) -> Figure:
    if len(firsts) < min_runs:
        return Figure(None, len(firsts), (
            f"{len(firsts)} branch(es) had their first audit in the last {days} days; "
            f"at least {min_runs} are needed"
        ))
    passed = sum(1 for f in firsts if f.status == "passed")
    return Figure(100 * passed / len(firsts), len(firsts), None)


def _episodes(main_runs: Sequence[BuildRecord]) -> list[Episode]:
    episodes: list[Episode] = []
    failed_at: datetime | None = None
    for record in main_runs:
        if record.status == "passed":
            if failed_at is not None:
                episodes.append(Episode(failed_at, record.started_at))
                failed_at = None
        elif failed_at is None:
            failed_at = record.started_at
    if failed_at is not None:
        episodes.append(Episode(failed_at, None))
    return episodes


def _mttr(episodes: Sequence[Episode], main: str, days: int) -> Figure:
    recovered = [e.minutes for e in episodes if e.minutes is not None]
    if not recovered:
        still = " (one failure is not recovered yet)" if episodes else ""
        return Figure(None, 0, (
            f"no failing audit on `{main}` was followed by a passing one in the last "
            f"{days} days{still}"
        ))
    return Figure(sum(recovered) / len(recovered), len(recovered), None)


def compute(
    records: Sequence[BuildRecord], *, main_branch: str, window_days: int, now: datetime,
    min_runs: int,
) -> Metrics:
    """The metrics over the window ending at `now` (naive UTC). `records` are every recorded run
    of the target, oldest first (earlier ones tell which branches are not new)."""
    since = now - timedelta(days=window_days)
    in_window = [r for r in records if since <= r.started_at <= now]
    main_runs = [r for r in in_window if r.branch == main_branch]
    firsts = _first_audits([r for r in records if r.started_at <= now], main_branch, since)
    episodes = _episodes(main_runs)
    return Metrics(
        window_days=window_days,
        main_branch=main_branch,
        since=since,
        build_success_rate=_build_rate(main_runs, main_branch, window_days, min_runs),
        first_time_success_rate=_first_time_rate(firsts, window_days, min_runs),
        mttr_minutes=_mttr(episodes, main_branch, window_days),
        episodes=episodes,
        first_audits=firsts,
    )
