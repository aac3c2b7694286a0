"""The HTTP API."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import FastAPI, HTTPException, Path, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from inventory import db
from inventory.models import MAX_ID, Item, NewItem, NewOrder, Order, Problem, Stock
from inventory.orders import OrderError, place_order


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    db.initialise(db.database_path())
    yield


app = FastAPI(title="inventory", lifespan=lifespan)

MALFORMED: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "The body is not JSON"}
}


@app.exception_handler(StarletteHTTPException)
async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    """Errors as `{"detail": ...}`; a 405 lists in `Allow` every method the path has."""
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        methods = {
            method
            for route in app.router.routes
            if route.matches(request.scope)[0] != Match.NONE
            for method in getattr(route, "methods", None) or ()
        }
        headers["Allow"] = ", ".join(sorted(methods))
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)


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


@app.get("/items/{item_id}", responses={404: {"model": Problem}})
def get_item(item_id: Annotated[int, Path(ge=1, le=MAX_ID)]) -> Item:
    with db.connect(db.database_path()) as conn:
        row = conn.execute("SELECT * FROM items WHERE id = ?", (item_id,)).fetchone()
    if row is None:
        raise HTTPException(status_code=404, detail=f"item {item_id} does not exist")
    return _item(row)


@app.post("/items", status_code=201, responses={**MALFORMED, 409: {"model": Problem}})
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


@app.post(
    "/orders", status_code=201,
    responses={**MALFORMED, 404: {"model": Problem}, 409: {"model": Problem}},
)
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
