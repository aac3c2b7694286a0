"""Test configuration shared by every test module."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from auditor.cache import CACHE_DIR_ENV

pytest_plugins = ["tests.postgres", "tests.tiers"]


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


@pytest.fixture(autouse=True, scope="session")
def _session_result_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Audits run by module- and session-scoped fixtures keep their cached results (and tools'
    caches) out of the user's cache directory too."""
    directory = tmp_path_factory.mktemp("audit-cache-session")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(CACHE_DIR_ENV, str(directory))
        yield directory


@pytest.fixture(autouse=True)
def _own_result_cache(tmp_path_factory: pytest.TempPathFactory,
                      monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test's audits keep their cached results (and tools' caches) to themselves."""
    directory = tmp_path_factory.mktemp("audit-cache")
    monkeypatch.setenv(CACHE_DIR_ENV, str(directory))
    return directory
