"""The run store's settings: the keys of `[tool.audit.history]` that say where runs are recorded
and how the success metrics over time are computed. Every scorecard's history section shows
those metrics, whether or not a gate scores them, so the core reads these keys itself."""

from __future__ import annotations

from dataclasses import dataclass

from auditor.errors import ConfigError
from auditor.model import OptionSpec

STORE_TABLE = "history"
"""`[tool.audit.history]`, or its short form `history = "FILE|URL"`."""
DEFAULT_WINDOW_DAYS = 30
DEFAULT_MIN_RUNS = 3
STORE_OPTIONS: tuple[OptionSpec, ...] = (
    OptionSpec("store", "str", "",
               "where runs are recorded: a SQLite file outside the target or a "
               "postgresql:// URL (default: $AUDIT_HISTORY_URL, else a file per project in "
               "the user's data directory); the short form is `history = \"...\"` under "
               "tool.audit"),
    OptionSpec("window_days", "int", DEFAULT_WINDOW_DAYS,
               "days of recorded runs the metrics look back over"),
    OptionSpec("main_branch", "str", "",
               "the main branch (default: the remote's HEAD, else `main`)"),
    OptionSpec("min_runs", "int", DEFAULT_MIN_RUNS,
               "fewest audits on the main branch (or new branches) a rate needs; with fewer "
               "it is skipped"),
)
STORE_KEYS = tuple(spec.name for spec in STORE_OPTIONS)


@dataclass(frozen=True)
class StoreSettings:
    """The validated store keys."""

    store: str = ""
    window_days: int = DEFAULT_WINDOW_DAYS
    main_branch: str = ""
    min_runs: int = DEFAULT_MIN_RUNS

    def __post_init__(self) -> None:
        for name in ("window_days", "min_runs"):
            if getattr(self, name) < 1:
                raise ConfigError(f"`{name}` in [tool.audit.{STORE_TABLE}] must be at least 1")
