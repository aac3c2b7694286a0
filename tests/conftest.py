"""Test configuration shared by every test module."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True, scope="session")
def private_user_data() -> Iterator[Path]:
    """Every audit the tests start records its history under a temporary data directory
    (platformdirs follows XDG_DATA_HOME), never in the real per-user one; $AUDIT_HISTORY_URL
    of the machine is ignored."""
    saved = {k: os.environ.get(k) for k in ("XDG_DATA_HOME", "AUDIT_HISTORY_URL")}
    with tempfile.TemporaryDirectory(prefix="audit-test-data-") as data:
        os.environ["XDG_DATA_HOME"] = data
        os.environ.pop("AUDIT_HISTORY_URL", None)
        try:
            yield Path(data)
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
