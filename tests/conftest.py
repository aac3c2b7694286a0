"""Test configuration shared by every test module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from auditor.cache import CACHE_DIR_ENV


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
