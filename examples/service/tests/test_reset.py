from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from inventory import reset
from inventory.main import app


def test_reset_forgets_what_requests_stored_and_seeds_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "inventory.db"
    monkeypatch.setenv("INVENTORY_DB", str(database))
    with TestClient(app) as client:
        assert client.post("/items", json={"name": "lamp", "price_cents": 2500,
                                           "stock": 3}).status_code == 201
        assert client.post("/orders", json={"item_id": 3, "quantity": 2}).status_code == 201
    (tmp_path / "inventory.db-wal").write_bytes(b"")

    reset.main()

    assert str(database) in capsys.readouterr().out
    assert not (tmp_path / "inventory.db-wal").exists()
    with TestClient(app) as client:
        names = [item["name"] for item in client.get("/items").json()]
        assert "lamp" not in names
        assert len(names) == 4
        assert client.get("/items/3").json()["stock"] == 40
