"""What several tests read and one builds: built once per test run, whichever parallel worker
asks first (the others wait for it), instead of once per worker."""

from __future__ import annotations

import fcntl
import os
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

T = TypeVar("T")


def run_directory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The temporary directory every worker of this run shares (pytest-xdist gives each worker
    a directory of its own inside it)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def once_per_run(tmp_path_factory: pytest.TempPathFactory, name: str,
                 build: Callable[[Path], T]) -> T:
    """BUILD(directory) once per run under NAME; its (picklable) result for every caller.

    The directory and what BUILD leaves in it stay until pytest removes old runs. A BUILD that
    raises stores nothing: the next caller tries again and fails the same way.
    """
    shared = run_directory(tmp_path_factory)
    directory = shared / f"once-{name}"
    result = directory / "result.pickle"
    with (shared / f"once-{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if result.exists():
            value: T = pickle.loads(result.read_bytes())  # noqa: S301  # written by this run
            return value
        directory.mkdir(exist_ok=True)
        value = build(directory)
        result.write_bytes(pickle.dumps(value))
        return value
