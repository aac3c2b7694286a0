"""Paths tools report, made relative to the target root."""

from __future__ import annotations

import os
from pathlib import Path


def relative_to_root(filename: str, root: Path) -> str:
    """A path a tool reported (absolute, or relative to the root), with forward slashes."""
    path = Path(filename)
    if not path.is_absolute():
        return path.as_posix().removeprefix("./")
    for base in (root, root.resolve()):
        try:
            return path.relative_to(base).as_posix()
        except ValueError:
            continue
    return Path(os.path.relpath(path, root)).as_posix()
