"""What `audit run` needs to know of the history before it runs, without loading the database
layer: where the history is, whose it is, the main branch, and the metrics' window."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from auditor import config as config_mod
from auditor.errors import ConfigError
from auditor.history import location
from auditor.history.location import HistoryRef


@dataclass(frozen=True)
class MetricSettings:
    window_days: int
    min_runs: int


def history_ref(
    root: Path, cfg: config_mod.AuditConfig, option: str | None, no_history: bool
) -> HistoryRef | None:
    """The history `audit run` reads and records into, or None with --no-history."""
    if no_history:
        if option:
            raise ConfigError("--history and --no-history contradict each other; give one")
        return None
    target = location.identity(root)
    main, source = location.main_branch(root, cfg.store.main_branch)
    return HistoryRef(
        location.resolve(option, cfg.history, root, target), target, main, source,
        window_days=cfg.store.window_days, min_runs=cfg.store.min_runs,
    )


def metric_settings(cfg: config_mod.AuditConfig) -> MetricSettings:
    return MetricSettings(window_days=cfg.store.window_days, min_runs=cfg.store.min_runs)
