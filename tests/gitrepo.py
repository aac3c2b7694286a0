"""Real git repositories for tests: commits, branches and shallow clones, with a fixed identity."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.helpers import write_project

IDENTITY = ("-c", "user.email=test@example.invalid", "-c", "user.name=Test")


def git(root: Path, *args: str) -> str:
    """Run git in ROOT and return its stdout; a failure fails the test with git's message."""
    proc = subprocess.run(
        ["git", *IDENTITY, *args], cwd=root, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, f"git {' '.join(args)}: {proc.stderr}"
    return proc.stdout


def init_repo(root: Path, files: dict[str, str], branch: str = "main") -> Path:
    """A repository at ROOT with FILES committed on BRANCH."""
    write_project(root, files)
    git(root, "init", "-q", "-b", branch)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "initial")
    return root


def commit_all(root: Path, message: str) -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)


def status(root: Path) -> str:
    """`git status --porcelain` including ignored files: what an audit must leave unchanged."""
    return git(root, "status", "--porcelain", "--ignored")
