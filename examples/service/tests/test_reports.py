from __future__ import annotations

from fastapi.testclient import TestClient


def test_item_orders_are_newest_first(client: TestClient) -> None:
    placed = client.post("/orders", json={"item_id": 2, "quantity": 3}).json()
    orders = client.get("/items/2/orders", params={"limit": 5}).json()
    assert len(orders) == 5
    assert orders[0] == placed
    assert [o["id"] for o in orders] == sorted((o["id"] for o in orders), reverse=True)
    assert {o["item_id"] for o in orders} == {2}


def test_orders_of_unknown_item_is_404(client: TestClient) -> None:
    assert client.get("/items/99/orders").status_code == 404


def test_sales_report_adds_up_the_order_history(client: TestClient) -> None:
    report = client.get("/report/sales").json()
    assert sum(r["orders"] for r in report) == 5000
    assert [r["revenue_cents"] for r in report] == sorted(
        (r["revenue_cents"] for r in report), reverse=True
    )
    mouse = next(r for r in report if r["name"] == "mouse")
    # Seeded history: orders 1, 5, 9, ... are mouse orders of 1 + n % 3 units.
    assert mouse["orders"] == 1250
    assert mouse["revenue_cents"] == mouse["units"] * 1999
