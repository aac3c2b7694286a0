"""The scorecard's `history` section, typed: the run deltas are taken against, the trend of the
branch's recent runs and the success metrics. Reports read it with `HistorySection.from_dict`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from auditor.model import Scorecard

TREND_RUNS = 20
"""Runs drawn in the trend, the current one included."""


def git_of(card: Scorecard) -> dict[str, Any]:
    """The scorecard's git facts (commit, branch, dirty), empty outside a git checkout."""
    git = card.target.get("git")
    return git if isinstance(git, dict) else {}


def _num(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


@dataclass(frozen=True)
class BaseFigure:
    value: float | None
    status: str


@dataclass(frozen=True)
class BaseRun:
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

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source, "label": self.label, "branch": self.branch,
            "commit": self.commit, "started_at": self.started_at, "status": self.status,
            "score": self.score,
            "figures": {k: {"value": f.value, "status": f.status} for k, f in self.figures.items()},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BaseRun:
        figures = data.get("figures") if isinstance(data.get("figures"), dict) else {}
        return cls(
            source=_str(data.get("source")) or "history",
            label=_str(data.get("label")) or "the previous run",
            branch=_str(data.get("branch")),
            commit=_str(data.get("commit")),
            started_at=_str(data.get("started_at")),
            status=_str(data.get("status")),
            score=_num(data.get("score")),
            figures={
                str(k): BaseFigure(_num(v.get("value")), _str(v.get("status")) or "")
                for k, v in (figures or {}).items()
                if isinstance(v, dict)
            },
        )

    @classmethod
    def of_scorecard(cls, card: Scorecard, source: str, fallback_label: str) -> BaseRun:
        git = git_of(card)
        branch, commit = _str(git.get("branch")), _str(git.get("commit"))
        label = f"{branch or fallback_label}" + (f" @ {commit[:10]}" if commit else "")
        return cls(
            source=source, label=label, branch=branch, commit=commit,
            started_at=card.started_at, status=card.status, score=card.score,
            figures={
                f"{g.id}.{c.id}": BaseFigure(c.value, c.status)
                for g in card.gates for c in g.conditions
            },
        )


@dataclass(frozen=True)
class TrendRun:
    started_at: str
    commit: str | None
    status: str
    score: float
    figures: dict[str, float | None]

    def to_dict(self) -> dict[str, Any]:
        return {"started_at": self.started_at, "commit": self.commit, "status": self.status,
                "score": self.score, "figures": self.figures}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrendRun:
        figures = data.get("figures") if isinstance(data.get("figures"), dict) else {}
        return cls(
            started_at=_str(data.get("started_at")) or "",
            commit=_str(data.get("commit")),
            status=_str(data.get("status")) or "",
            score=_num(data.get("score")) or 0.0,
            figures={str(k): _num(v) for k, v in (figures or {}).items()},
        )

    @classmethod
    def of_scorecard(cls, card: Scorecard) -> TrendRun:
        git = git_of(card)
        return cls(
            started_at=card.started_at, commit=_str(git.get("commit")), status=card.status,
            score=card.score,
            figures={f"{g.id}.{c.id}": c.value for g in card.gates for c in g.conditions},
        )


@dataclass(frozen=True)
class HistorySection:
    store: str | None
    target: str | None
    branch: str | None
    base_branch: str | None
    main_branch: str | None
    recorded: bool
    warnings: list[str]
    base: BaseRun | None
    trend: list[TrendRun]
    """Oldest first; the current run last."""
    metrics: dict[str, Any] | None
    """`auditor.history.metrics.Metrics.to_details()`, when the store could be read."""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "store": self.store, "target": self.target, "branch": self.branch,
            "base_branch": self.base_branch, "main_branch": self.main_branch,
            "recorded": self.recorded, "warnings": list(self.warnings),
            "base": self.base.to_dict() if self.base else None,
            "trend": [t.to_dict() for t in self.trend],
            "metrics": self.metrics,
            **self.extra,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HistorySection:
        base = data.get("base")
        trend = data.get("trend")
        warnings = data.get("warnings")
        metrics = data.get("metrics")
        return cls(
            store=_str(data.get("store")),
            target=_str(data.get("target")),
            branch=_str(data.get("branch")),
            base_branch=_str(data.get("base_branch")),
            main_branch=_str(data.get("main_branch")),
            recorded=data.get("recorded") is True,
            warnings=[str(w) for w in warnings] if isinstance(warnings, list) else [],
            base=BaseRun.from_dict(base) if isinstance(base, dict) else None,
            trend=[TrendRun.from_dict(t) for t in trend if isinstance(t, dict)]
            if isinstance(trend, list) else [],
            metrics=metrics if isinstance(metrics, dict) else None,
        )

    @classmethod
    def of(cls, card: Scorecard) -> HistorySection | None:
        return cls.from_dict(card.history) if card.history is not None else None


def key_condition(conditions: Sequence[tuple[str, str]]) -> str:
    """A gate's key figure among its (condition id, unit) pairs: the first level with a unit
    (line coverage, p95), else the first count (critical errors)."""
    return next((cid for cid, unit in conditions if unit), conditions[0][0])
