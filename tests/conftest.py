"""Test configuration shared by every test module."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.cache import CACHE_DIR_ENV


@pytest.fixture(autouse=True)
def _own_result_cache(tmp_path_factory: pytest.TempPathFactory,
                      monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test's audits keep their cached results (and tools' caches) to themselves, out of
    the user's cache directory."""
    directory = tmp_path_factory.mktemp("audit-cache")
    monkeypatch.setenv(CACHE_DIR_ENV, str(directory))
    return directory
