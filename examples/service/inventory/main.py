"""The HTTP API."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, HTTPException

from inventory import db
from inventory.models import Item, NewItem, NewOrder, Order, Stock
from inventory.orders import OrderError, place_order


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    db.initialise(db.database_path())
    yield


app = FastAPI(title="inventory", lifespan=lifespan)


def _item(row: sqlite3.Row) -> Item:
    return Item(
        id=int(row["id"]),
        name=str(row["name"]),
        price_cents=int(row["price_cents"]),
        stock=int(row["stock"]),
    )


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/items")
def list_items() -> list[Item]:
    with db.connect(db.database_path()) as conn:
        rows = conn.execute("SELECT * FROM items ORDER BY id").fetchall()
    return [_item(row) for row in rows]


@app.get("/items/{item_id}")
def get_item(item_id: int) -> Item:
    with db.connect(db.database_path()) as conn:
        row = conn.execute("SELECT * FROM items WHERE id = ?", (item_id,)).fetchone()
    if row is None:
        raise HTTPException(status_code=404, detail=f"item {item_id} does not exist")
    return _item(row)


@app.post("/items", status_code=201)
def create_item(new: NewItem) -> Item:
    try:
        with db.connect(db.database_path()) as conn:
            cursor = conn.execute(
                "INSERT INTO items (name, price_cents, stock) VALUES (?, ?, ?)",
                (new.name, new.price_cents, new.stock),
            )
            item_id = cursor.lastrowid
    except sqlite3.IntegrityError:
        raise HTTPException(status_code=409, detail=f"{new.name} exists already") from None
    assert item_id is not None  # an INSERT always sets it
    return Item(id=item_id, name=new.name, price_cents=new.price_cents, stock=new.stock)


@app.post("/orders", status_code=201)
def create_order(order: NewOrder) -> Order:
    try:
        with db.connect(db.database_path()) as conn:
            return place_order(conn, order)
    except OrderError as exc:
        raise HTTPException(status_code=exc.status, detail=str(exc)) from None


@app.get("/stock")
def stock() -> Stock:
    with db.connect(db.database_path()) as conn:
        units, value = conn.execute(
            "SELECT COALESCE(SUM(stock), 0), COALESCE(SUM(stock * price_cents), 0) FROM items"
        ).fetchone()
    return Stock(units=int(units), value_cents=int(value))
