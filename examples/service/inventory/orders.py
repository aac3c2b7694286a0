"""Placing orders: the stock check and the price, in one transaction."""

from __future__ import annotations

import sqlite3

from inventory.models import NewOrder, Order


class OrderError(Exception):
    """An order that cannot be placed; `status` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def place_order(conn: sqlite3.Connection, order: NewOrder) -> Order:
    """Take the quantity out of stock and record the order, or refuse it."""
    row = conn.execute(
        "SELECT price_cents, stock FROM items WHERE id = ?", (order.item_id,)
    ).fetchone()
    if row is None:
        raise OrderError(404, f"item {order.item_id} does not exist")
    price_cents, stock = int(row["price_cents"]), int(row["stock"])
    if order.quantity > stock:
        raise OrderError(409, f"only {stock} in stock")
    conn.execute(
        "UPDATE items SET stock = stock - ? WHERE id = ?", (order.quantity, order.item_id)
    )
    total = price_cents * order.quantity
    cursor = conn.execute(
        "INSERT INTO orders (item_id, quantity, total_cents) VALUES (?, ?, ?)",
        (order.item_id, order.quantity, total),
    )
    order_id = cursor.lastrowid
    assert order_id is not None  # an INSERT always sets it
    return Order(id=order_id, item_id=order.item_id, quantity=order.quantity, total_cents=total)
