from __future__ import annotations

from fastapi.testclient import TestClient


def test_order_takes_stock(client: TestClient) -> None:
    response = client.post("/orders", json={"item_id": 3, "quantity": 2})
    assert response.status_code == 201
    assert response.json()["total_cents"] == 2 * 18999
    assert client.get("/items/3").json()["stock"] == 38


def test_order_beyond_stock_is_409(client: TestClient) -> None:
    response = client.post("/orders", json={"item_id": 3, "quantity": 41})
    assert response.status_code == 409
    assert client.get("/items/3").json()["stock"] == 40


def test_order_of_unknown_item_is_404(client: TestClient) -> None:
    assert client.post("/orders", json={"item_id": 99, "quantity": 1}).status_code == 404


def test_order_of_nothing_is_422(client: TestClient) -> None:
    assert client.post("/orders", json={"item_id": 1, "quantity": 0}).status_code == 422
