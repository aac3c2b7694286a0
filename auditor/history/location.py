"""Where the history of a target lives, and who the target is.

A target is known by its git remote URL (without credentials) and its path inside the
repository, else by its absolute path, so that clones of one repository share their history and
each component of a monorepo has its own. The store is `--history`, else the
`AUDIT_HISTORY_URL` environment variable, else `[tool.audit] history`, else a SQLite file per
target in the user's data directory.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import platformdirs

from auditor import procs
from auditor.errors import ConfigError, GateError
from auditor.history.settings import DEFAULT_MIN_RUNS, DEFAULT_WINDOW_DAYS

ENV_URL = "AUDIT_HISTORY_URL"
"""A store URL from the environment, so a team's database password stays out of the repository."""
APP_NAME = "auditor"
_SLUG = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class StoreLocation:
    """A store: a SQLite file or a server's SQLAlchemy URL, and how it is shown to people (never
    with a password)."""

    shown: str
    origin: str
    """Where it was chosen: `--history`, `AUDIT_HISTORY_URL`, `[tool.audit] history`, `default`."""
    file: Path | None = None
    """The SQLite file; None for a server."""
    server_url: str = ""
    """A server's SQLAlchemy URL, with its password."""

    @property
    def url(self) -> str:
        """The SQLAlchemy URL. A file's is built only here, so that finding the store (before
        every audit) does not load SQLAlchemy."""
        if self.file is None:
            return self.server_url
        from sqlalchemy.engine import URL  # noqa: PLC0415

        return str(URL.create("sqlite", database=str(self.file)))


@dataclass(frozen=True)
class HistoryRef:
    """What a reader of the history needs: the store, the target's identity, its main branch."""

    location: StoreLocation
    target: str
    main_branch: str
    main_branch_source: str
    window_days: int = DEFAULT_WINDOW_DAYS
    """Days of recorded runs the success metrics look back over."""
    min_runs: int = DEFAULT_MIN_RUNS
    """Fewest audits a rate needs."""


def _git(root: Path, *args: str) -> str | None:
    try:
        result = procs.run(["git", *args], cwd=root, timeout=10)
    except GateError:
        return None
    out = result.stdout.strip()
    return out if result.returncode == 0 and out else None


def without_credentials(remote: str) -> str:
    """A remote URL without `user:password@`, which must never be stored or shown."""
    parts = urlsplit(remote)
    if parts.scheme and parts.hostname:
        host = parts.hostname + (f":{parts.port}" if parts.port else "")
        return urlunsplit((parts.scheme, host, parts.path, "", ""))
    return remote


def identity(root: Path) -> str:
    """The target's git remote URL (origin, else the first remote) with its path inside the
    repository after `#` when it is not the repository's root (a monorepo's component), else
    its absolute path."""
    remote = _git(root, "remote", "get-url", "origin")
    if remote is None:
        names = (_git(root, "remote") or "").split()
        remote = _git(root, "remote", "get-url", names[0]) if names else None
    if not remote:
        return str(root.resolve())
    inside = (_git(root, "rev-parse", "--show-prefix") or "").strip("/")
    return without_credentials(remote) + (f"#{inside}" if inside else "")


def main_branch(root: Path, configured: str) -> tuple[str, str]:
    """The main branch and where the name came from: the config, the remote's HEAD, else `main`."""
    if configured:
        return configured, "`main_branch` in [tool.audit.history]"
    head = _git(root, "symbolic-ref", "--short", "refs/remotes/origin/HEAD")
    if head and "/" in head:
        return head.split("/", 1)[1], "the remote's HEAD (origin/HEAD)"
    return "main", "the default (no remote HEAD is known)"


def default_path(target: str) -> Path:
    """The per-user SQLite file of one target: readable name plus a hash of its identity."""
    name = _SLUG.sub("-", target.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git")) or "target"
    digest = hashlib.sha256(target.encode("utf-8")).hexdigest()[:12]
    return platformdirs.user_data_path(APP_NAME) / "history" / f"{name[:40]}-{digest}.sqlite"


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def from_text(text: str, origin: str, root: Path | None, base: Path) -> StoreLocation:
    """A store from a FILE or URL; a relative FILE is taken from `base`. A file inside the target
    would change its tree, so it is refused."""
    if "://" in text:
        from sqlalchemy.engine import make_url  # noqa: PLC0415  # loads only for a server
        from sqlalchemy.exc import ArgumentError  # noqa: PLC0415

        try:
            url = make_url(text)
        except ArgumentError:
            raise ConfigError(
                f"{origin} `{text}` is not a database URL; give a SQLite file or a "
                "postgresql://user@host/database URL"
            ) from None
        if url.drivername in ("postgresql", "postgres"):
            url = url.set(drivername="postgresql+psycopg")
        if not url.drivername.startswith(("postgresql", "sqlite")):
            raise ConfigError(
                f"{origin} names a `{url.drivername}` database; the history is kept in SQLite "
                "(a file) or PostgreSQL (a postgresql:// URL)"
            )
        return StoreLocation(url.render_as_string(hide_password=True), origin,
                             server_url=url.render_as_string(hide_password=False))
    path = (base / Path(text).expanduser()).resolve()
    if root is not None and _inside(path, root.resolve()):
        raise ConfigError(
            f"{origin} {path} is inside the audited project, and an audit never changes the "
            "target's tree; put the history file outside it"
        )
    if path.is_dir():
        raise ConfigError(f"{origin} {path} is a directory; give a file for the history")
    return StoreLocation(str(path), origin, file=path)


def resolve(
    option: str | None, configured: str | None, root: Path | None, target: str
) -> StoreLocation:
    """The store for this run: `--history`, else $AUDIT_HISTORY_URL, else the config, else the
    per-user default file of the target."""
    if option:
        return from_text(option, "--history", root, Path.cwd())
    env = os.environ.get(ENV_URL, "").strip()
    if env:
        return from_text(env, ENV_URL, root, Path.cwd())
    if configured:
        return from_text(configured, "`history` in [tool.audit]", root, root or Path.cwd())
    return from_text(str(default_path(target)), "default", None, Path.cwd())
