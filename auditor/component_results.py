"""A component's last result, kept so that one a change did not touch need not be audited again.

After each audit of a component its scorecard is kept in the auditor's cache, under the
component's identity (repository + path); the history keeps every recorded one too. A stored
result is reused only when it was measured on a clean checkout of a commit from which the
component, the components it depends on and the root's shared files are unchanged in the
working tree, and judged the same gates; anything else is audited again.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import msgspec

from auditor import procs, scorecard
from auditor.cache import cache_root
from auditor.errors import ConfigError, GateError
from auditor.history.location import HistoryRef
from auditor.model import Scorecard

HISTORY_LOOKBACK = 20
"""How many of a component's latest recorded runs are searched for one to reuse."""


@dataclass(frozen=True)
class Reused:
    """A stored result that still holds, and where it came from."""

    card: Scorecard
    source: str
    """`the cache` or `the history at STORE`."""


def _file(identity: str) -> Path:
    digest = hashlib.sha256(identity.encode("utf-8")).hexdigest()[:24]
    return cache_root() / "components" / f"{digest}.json"


def remember(card: Scorecard, identity: str) -> None:
    """Keep CARD as the component's last result (a failure to write only loses the reuse)."""
    with contextlib.suppress(OSError):
        scorecard.write_atomic(_file(identity), scorecard.dumps(card))


def _git_ok(repo: Path, *args: str) -> bool | None:
    """True when git exits 0, False when 1, None when it could not tell."""
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}
    try:
        result = procs.run(["git", *args], cwd=repo, timeout=60, env=env)
    except GateError:
        return None
    return {0: True, 1: False}.get(result.returncode)


def holds(card: Scorecard, repo: Path, paths: Sequence[str], gates: Sequence[str]) -> bool:
    """Whether CARD still holds: measured on a clean checkout of a commit from which PATHS
    (relative to REPO) did not change, with the same GATES."""
    git = card.target.git
    if git is None or git.commit is None or git.dirty is not False:
        return False
    if sorted(g.id for g in card.gates) != sorted(gates):
        return False
    same = _git_ok(repo, "diff", "--quiet", git.commit, "--", *paths)
    if not same:
        return False
    try:
        untracked = procs.run(
            ["git", "ls-files", "--others", "--exclude-standard", "--", *paths],
            cwd=repo,
            timeout=60,
        )
    except GateError:
        return False
    return untracked.returncode == 0 and not untracked.stdout.strip()


def _from_history(
    ref: HistoryRef, repo: Path, paths: Sequence[str], gates: Sequence[str]
) -> Reused | None:
    # The database layer loads only when the cache has nothing to reuse.
    from auditor.history.store import opened  # noqa: PLC0415

    try:
        with opened(ref.location) as store:
            for run in store.runs(ref.target, limit=HISTORY_LOOKBACK):
                data = msgspec.json.encode(store.scorecard_json(run.id))
                card = scorecard.loads(data, ref.location.shown)
                if holds(card, repo, paths, gates):
                    return Reused(card, f"the history at {ref.location.shown}")
    except Exception:  # a history that cannot be read has nothing to reuse
        return None
    return None


def last_result(
    identity: str,
    ref: HistoryRef | None,
    repo: Path,
    paths: Sequence[str],
    gates: Sequence[str],
) -> Reused | None:
    """The component's last result that still holds: the cache's, else the history's."""
    path = _file(identity)
    if path.is_file():
        try:
            card = scorecard.read(path)
        except ConfigError:
            card = None
        if card is not None and holds(card, repo, paths, gates):
            return Reused(card, "the cache")
    return _from_history(ref, repo, paths, gates) if ref is not None else None
