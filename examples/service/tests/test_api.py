from __future__ import annotations

from fastapi.testclient import TestClient


def test_health(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok"}


def test_items_are_seeded(client: TestClient) -> None:
    names = [item["name"] for item in client.get("/items").json()]
    assert names == ["keyboard", "mouse", "monitor", "cable"]


def test_get_item(client: TestClient) -> None:
    assert client.get("/items/2").json()["name"] == "mouse"


def test_unknown_item_is_404(client: TestClient) -> None:
    assert client.get("/items/999").status_code == 404


def test_create_item(client: TestClient) -> None:
    response = client.post("/items", json={"name": "dock", "price_cents": 9999, "stock": 5})
    assert response.status_code == 201
    assert client.get(f"/items/{response.json()['id']}").json()["name"] == "dock"


def test_duplicate_item_is_409(client: TestClient) -> None:
    response = client.post("/items", json={"name": "mouse", "price_cents": 1, "stock": 1})
    assert response.status_code == 409


def test_invalid_item_is_422(client: TestClient) -> None:
    response = client.post("/items", json={"name": "", "price_cents": -1, "stock": 0})
    assert response.status_code == 422


def test_stock_totals(client: TestClient) -> None:
    body = client.get("/stock").json()
    assert body == {"units": 1460, "value_cents": 120 * 4999 + 300 * 1999 + 40 * 18999 + 1000 * 499}


def test_too_large_a_price_is_422_not_a_crash(client: TestClient) -> None:
    response = client.post(
        "/items", json={"name": "vault", "price_cents": 2**64, "stock": 1}
    )
    assert response.status_code == 422


def test_a_boolean_is_not_a_count(client: TestClient) -> None:
    response = client.post("/items", json={"name": "flag", "price_cents": 1, "stock": False})
    assert response.status_code == 422


def test_too_large_an_item_id_is_422(client: TestClient) -> None:
    assert client.get(f"/items/{2**63}").status_code == 422


def test_wrong_method_lists_every_method_of_the_path(client: TestClient) -> None:
    response = client.delete("/items")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"


def test_unknown_path_is_404(client: TestClient) -> None:
    assert client.get("/nowhere").json() == {"detail": "Not Found"}
