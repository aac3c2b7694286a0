from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect

from inventory import db
from inventory.tables import Base


def test_the_models_describe_the_tables_the_service_creates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = tmp_path / "inventory.db"
    monkeypatch.setenv("INVENTORY_DB", str(database))
    db.initialise()
    inspector = inspect(create_engine(f"sqlite:///{database}"))
    assert set(inspector.get_table_names()) == set(Base.metadata.tables)
    for name, table in Base.metadata.tables.items():
        columns = {column["name"] for column in inspector.get_columns(name)}
        assert columns == {column.name for column in table.columns}
