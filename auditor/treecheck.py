"""Proof that an audit left the target's tree as it found it, and what it left when it did not.

The target's tree is read before the audit, each time a gate finishes, and at the end:
- in a git checkout, from `git status` with ignored and untracked files listed one by one
  (`--ignored -uall`), so tracked changes, new untracked files and new ignored files all count;
  each path git lists also has its size and modification time read, so a file that was already
  dirty and changed again counts too;
- elsewhere, from a listing of every file under the root with its size and modification time.
Git's own directory and the report directory (when the user put it inside the target) are left
out. Nothing is ever deleted or restored: the audit only says what changed.

Attribution when gates run in parallel: a change is charged to every gate that was running at
some moment between the two readings that first show it (the gates running at the earlier
reading, plus those started since). When a gate finishes alone, that is exactly the gate; when
two ran side by side, both are named, since the tree alone cannot tell which one wrote. A change
seen while no gate ran is charged to the audit itself.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

from auditor import procs
from auditor.errors import GateError
from auditor.model import Change, LeftFile

Stamp = tuple[str, int, int]
"""What is known of one path: git's status code (or `` outside git), size, mtime in ns."""

SKIPPED_DIRS = frozenset({".git"})


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        info = path.lstat()
    except OSError:
        return None
    return info.st_size, info.st_mtime_ns


def _walk(root: Path, skip: Path | None) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        dirnames[:] = [
            d for d in dirnames if d not in SKIPPED_DIRS and (skip is None or here / d != skip)
        ]
        for name in filenames:
            yield here / name


def _git_paths(root: Path) -> dict[str, str] | None:
    """Paths `git status` lists (untracked and ignored ones one by one) with their status code,
    or None when ROOT is not in a git checkout."""
    try:
        result = procs.run(
            ["git", "--no-optional-locks", "status", "--porcelain=v1", "-z", "--ignored",
             "--untracked-files=all", "--no-renames", "--", "."],
            cwd=root, timeout=60,
        )
        if result.returncode != 0:
            return None
        prefix = procs.run(["git", "rev-parse", "--show-prefix"], cwd=root, timeout=10)
    except GateError:  # no git, or the audit is being interrupted: the file listing serves
        return None
    prefix_text = prefix.stdout.strip()
    paths: dict[str, str] = {}
    for entry in result.stdout.split("\0"):
        if len(entry) < 4:
            continue
        rel = entry[3:]
        # git names paths from the top of the checkout; the target may be a directory inside it.
        inside = prefix_text and rel.startswith(prefix_text)
        paths[rel.removeprefix(prefix_text) if inside else rel] = entry[:2]
    return paths


def snapshot(root: Path, skip: Path | None = None) -> dict[str, Stamp]:
    """Every path that could show an audit's trace, with what is known of it."""
    git = _git_paths(root)
    stamps: dict[str, Stamp] = {}
    if git is not None:
        for rel, code in git.items():
            full = root / rel
            if skip is not None and full.is_relative_to(skip):
                continue
            size, mtime = _stat(full) or (-1, -1)
            stamps[rel] = (code, size, mtime)
        return stamps
    for path in _walk(root, skip):
        found = _stat(path)
        if found is not None:
            stamps[path.relative_to(root).as_posix()] = ("", *found)
    return stamps


def _changed(root: Path, before: dict[str, Stamp], after: dict[str, Stamp]) -> dict[str, Change]:
    """Paths that differ between two snapshots, with the kind of change."""
    changes: dict[str, Change] = {}
    for rel, stamp in after.items():
        old = before.get(rel)
        if old is None:
            # A tracked file that becomes listed was modified (or deleted); any other is new.
            deleted = "D" in stamp[0]
            changes[rel] = "deleted" if deleted else (
                "modified" if stamp[0] and stamp[0] not in ("??", "!!") else "added"
            )
        elif old != stamp:
            changes[rel] = "deleted" if "D" in stamp[0] or stamp[1] < 0 else "modified"
    for rel in before.keys() - after.keys():
        # Gone from the listing: a file removed, or (in git) a dirty tracked file put back.
        changes[rel] = "modified" if before[rel][0] and _stat(root / rel) else "deleted"
    return changes


class TreeWatch:
    """Reads the target's tree around an audit and charges each change to the gates running."""

    def __init__(self, root: Path, skip: Path | None = None) -> None:
        self._root = root
        root, skip = root.resolve(), skip.resolve() if skip is not None else None
        self._skip = skip if skip is not None and skip.is_relative_to(root) else None
        self._lock = threading.Lock()
        self._first = snapshot(root, self._skip)
        self._last = self._first
        self._running: set[str] = set()
        self._suspects: set[str] = set()
        self._charged: dict[str, tuple[str, ...]] = {}

    def _read(self) -> None:
        now = snapshot(self._root, self._skip)
        for rel in _changed(self._root, self._last, now):
            self._charged.setdefault(rel, tuple(sorted(self._suspects)))
        self._last = now
        self._suspects = set(self._running)

    def gate_started(self, gate_id: str) -> None:
        with self._lock:
            self._running.add(gate_id)
            self._suspects.add(gate_id)

    def gate_finished(self, gate_id: str) -> None:
        with self._lock:
            self._read()
            self._running.discard(gate_id)
            self._suspects = set(self._running)

    def left(self) -> list[LeftFile]:
        """What differs from the tree before the audit, with the gates that may have done it."""
        with self._lock:
            self._read()
            return [
                LeftFile(rel, change, self._charged.get(rel, ()))
                for rel, change in sorted(_changed(self._root, self._first, self._last).items())
            ]
