"""The database options of `[tool.audit.load]` and the two conditions they feed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from auditor.errors import ConfigError
from auditor.model import ConditionSpec, OptionSpec
from auditor.plugin import GateConfig
from gates.service import with_defaults

TABLE = "[tool.audit.load]"
Mode = Literal["auto", "python", "postgres", "off"]
MODES: tuple[Mode, ...] = ("auto", "python", "postgres", "off")

STATEMENTS = "statements"
"""What the database conditions are judged over: the statements seen in the normal stage."""
CONDITIONS: tuple[ConditionSpec, ...] = (
    ConditionSpec("db_avg_ms", "Database statement average", "ms", "<", 100, "ms",
                  "database statement time / statement count during the normal stage",
                  population=STATEMENTS),
    ConditionSpec("db_max_ms", "Slowest database statement", "ms", "<", 500, "ms",
                  "slowest single database statement during the normal stage",
                  population=STATEMENTS),
)
OPTIONS: tuple[OptionSpec, ...] = (
    OptionSpec(
        "db_timing",
        "str",
        "auto",
        "how database statements are timed: `python` (an instrumentation module in the "
        "service's process times sqlite3, psycopg, psycopg2, SQLAlchemy and Django "
        "statements), `postgres` "
        "(pg_stat_statements of `database_url`), `auto` (postgres when a URL is "
        "configured, else python) or `off`",
    ),
    OptionSpec(
        "database_url",
        "str",
        None,
        "the service's PostgreSQL database (postgresql://...), read through "
        "pg_stat_statements; prefer `database_url_env`, so no password sits in the "
        "repository",
    ),
    OptionSpec(
        "database_url_env",
        "str",
        None,
        "the name of an environment variable holding `database_url`",
    ),
)


@dataclass(frozen=True)
class DbSettings:
    """How the gate observes the service's database statements."""

    mode: Literal["python", "postgres", "off"]
    """The resolved mode (`auto` decided)."""
    database_url: str | None
    """The configured URL, when given directly."""
    database_url_env: str | None
    """The variable that holds the URL, when given that way."""

    def url(self, env: Mapping[str, str]) -> str | None:
        """The database URL, from the option or from the environment variable it names."""
        if self.database_url:
            return self.database_url
        if self.database_url_env:
            return env.get(self.database_url_env) or None
        return None

    def url_source(self) -> str:
        """Where the URL comes from, for messages (never the URL, which may hold a password)."""
        if self.database_url_env:
            return f"the environment variable {self.database_url_env} (`database_url_env`)"
        return "`database_url`"


def _text(config: GateConfig, key: str) -> str | None:
    """A string option, None when unset; an empty one names nothing."""
    value = config.option_str(key)
    if value == "":
        raise ConfigError(f"`{key}` in {TABLE} is empty; leave it out or give a value")
    return value


def _mode(config: GateConfig) -> Mode:
    raw = config.option_str("db_timing")
    for mode in MODES:
        if raw == mode:
            return mode
    raise ConfigError(
        f"`db_timing` in {TABLE} is {raw!r}; use one of {', '.join(MODES)}"
    )


def parse(options: Mapping[str, object]) -> DbSettings:
    """Check the database options (read as OPTIONS declares them, each unset one at its
    default); ConfigError names what is wrong and the fix."""
    config = with_defaults(OPTIONS, options)
    raw = _mode(config)
    url = _text(config, "database_url")
    url_env = _text(config, "database_url_env")
    if url and url_env:
        raise ConfigError(
            f"{TABLE} sets both `database_url` and `database_url_env`; keep one"
        )
    if url is not None and not url.startswith(("postgresql://", "postgres://")):
        raise ConfigError(
            f"`database_url` in {TABLE} must be a postgresql:// URL"
        )
    configured = url is not None or url_env is not None
    if raw == "postgres" and not configured:
        raise ConfigError(
            f'`db_timing = "postgres"` in {TABLE} needs the database: set `database_url_env` '
            "to the name of the variable holding its URL (or `database_url`)"
        )
    if raw == "auto":
        mode: Literal["python", "postgres", "off"] = "postgres" if configured else "python"
    else:
        mode = raw
    return DbSettings(mode, url, url_env)
