"""Placing orders: the stock check and the price, in one transaction."""

from __future__ import annotations

from inventory.db import Session
from inventory.models import NewOrder, Order


class OrderError(Exception):
    """An order that cannot be placed; `status` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def place_order(session: Session, order: NewOrder) -> Order:
    """Take the quantity out of stock and record the order, or refuse it."""
    row = session.one("SELECT price_cents, stock FROM items WHERE id = ?", (order.item_id,))
    if row is None:
        raise OrderError(404, f"item {order.item_id} does not exist")
    price_cents, stock = int(row["price_cents"]), int(row["stock"])
    if order.quantity > stock:
        raise OrderError(409, f"only {stock} in stock")
    session.run("UPDATE items SET stock = stock - ? WHERE id = ?",
                (order.quantity, order.item_id))
    total = price_cents * order.quantity
    created = session.one(
        "INSERT INTO orders (item_id, quantity, total_cents) VALUES (?, ?, ?) RETURNING id",
        (order.item_id, order.quantity, total),
    )
    assert created is not None  # an INSERT ... RETURNING returns its row
    return Order(id=int(created["id"]), item_id=order.item_id, quantity=order.quantity,
                 total_cents=total)
