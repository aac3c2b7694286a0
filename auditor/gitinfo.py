"""The target's git commit, branch and whether its tree is dirty, when it is a git checkout."""

from __future__ import annotations

from pathlib import Path

from auditor import procs
from auditor.errors import GateError
from auditor.model import GitInfo


def describe(root: Path) -> GitInfo | None:
    """Commit, branch and dirtiness of `root`, or None outside a git checkout or without git."""

    def git(*args: str) -> str | None:
        try:
            result = procs.run(["git", *args], cwd=root, timeout=10)
        except GateError:
            return None
        return result.stdout.strip() if result.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if commit is None:
        return None
    branch = git("rev-parse", "--abbrev-ref", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no", "--", ".")
    return GitInfo(
        commit=commit,
        branch=None if branch in (None, "HEAD") else branch,
        dirty=bool(status) if status is not None else None,
    )
