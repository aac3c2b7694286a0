"""The scorecard's sections beside its gates, typed: where the run was recorded and what deltas
are taken against (`history`), and what findings were held against (`counting`)."""

from __future__ import annotations

import msgspec


class Record(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A part of the scorecard: every field written, unknown fields refused when read back."""


class BaseFigure(Record, frozen=True):
    value: float | None
    status: str


class BaseRun(Record, frozen=True):
    """The run deltas are taken against."""

    source: str
    """`history` (the previous run on the base branch) or `compare` (--compare FILE)."""
    label: str
    """How reports name it: `main @ 3f2a1c4d5e`."""
    branch: str | None
    commit: str | None
    started_at: str | None
    status: str | None
    score: float | None
    figures: dict[str, BaseFigure]
    """By `gate.condition`."""


class TrendRun(Record, frozen=True):
    started_at: str
    commit: str | None
    status: str
    score: float
    figures: dict[str, float | None]


class MetricFigure(Record, frozen=True):
    """One success metric: its value, or why it has none, and how many runs are behind it."""

    value: float | None
    basis: int
    reason: str | None


class Episode(Record, frozen=True):
    failed_at: str
    recovered_at: str | None
    minutes: float | None


class FirstAudit(Record, frozen=True):
    branch: str
    at: str
    status: str


class Metrics(Record, frozen=True):
    """The success metrics over time, with what is behind them."""

    window_days: int
    main_branch: str
    since: str
    figures: dict[str, MetricFigure]
    episodes: tuple[Episode, ...]
    first_audits: tuple[FirstAudit, ...]


class HistorySection(Record, frozen=True):
    store: str | None
    target: str | None
    branch: str | None
    base_branch: str | None
    main_branch: str | None
    recorded: bool
    warnings: tuple[str, ...]
    base: BaseRun | None
    trend: tuple[TrendRun, ...]
    """Oldest first; the current run last."""
    metrics: Metrics | None
    """When the store could be read."""


class FixedEntry(Record, frozen=True):
    """A baseline entry no finding matched any more."""

    fingerprint: str
    gate: str
    rule: str
    path: str
    message: str


class BaselineSummary(Record, frozen=True):
    file: str
    entries: int
    figures: dict[str, float]
    tolerance: float
    stale: str
    fixed: tuple[FixedEntry, ...]


class WaiverRow(Record, frozen=True):
    """A configured waiver and what it did in this run."""

    gate: str
    rule: str
    path: str | None
    reason: str
    owner: str
    expires: str
    """ISO date."""
    status: str
    """`active`, `expiring`, `expired`, `unused` or `not checked`."""
    matched: int


class NewCodeSummary(Record, frozen=True):
    ref: str
    merge_base: str
    files: int
    lines: int


class StateCounts(Record, frozen=True):
    new: int
    baselined: int
    waived: int
    old: int


class CountingSection(Record, frozen=True, omit_defaults=True):
    """What was held against what; only present when a baseline, waiver or change applied."""

    states: dict[str, StateCounts]
    """Findings by state, per gate that has findings."""
    baseline: BaselineSummary | None = None
    waivers: tuple[WaiverRow, ...] | None = None
    new_code: NewCodeSummary | None = None
