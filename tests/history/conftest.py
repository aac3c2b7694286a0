"""A store URL fixture that gives each history test a fresh SQLite file or a fresh database on
the suite's one PostgreSQL server (tests/postgres.py)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a test's history lives: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "store" / "history.sqlite")
    url: str = request.getfixturevalue("pg_url")
    return url
