"""The HTTP API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import FastAPI, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from inventory import db
from inventory.models import MAX_ID, Item, ItemSales, NewItem, NewOrder, Order, Problem, Stock
from inventory.orders import OrderError, place_order


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    db.initialise()
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


def _item(row: db.Row) -> Item:
    return Item(
        id=int(row["id"]),
        name=str(row["name"]),
        price_cents=int(row["price_cents"]),
        stock=int(row["stock"]),
    )


def _order(row: db.Row) -> Order:
    return Order(
        id=int(row["id"]),
        item_id=int(row["item_id"]),
        quantity=int(row["quantity"]),
        total_cents=int(row["total_cents"]),
    )


@app.get("/health")
def health() -> dict[str, str]:
    """Whether the service is up."""
    return {"status": "ok"}


@app.get("/items")
def list_items() -> list[Item]:
    """Every item of the catalogue, by id."""
    with db.connect() as session:
        rows = session.all("SELECT * FROM items ORDER BY id")
    return [_item(row) for row in rows]


@app.get("/items/{item_id}", responses={404: {"model": Problem}})
def get_item(item_id: Annotated[int, Path(ge=1, le=MAX_ID)]) -> Item:
    """One item, with its price and the units in stock."""
    with db.connect() as session:
        row = session.one("SELECT * FROM items WHERE id = ?", (item_id,))
    if row is None:
        raise HTTPException(status_code=404, detail=f"item {item_id} does not exist")
    return _item(row)


@app.get("/items/{item_id}/orders", responses={404: {"model": Problem}})
def item_orders(
    item_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[Order]:
    """The item's most recent orders, newest first (the index on orders(item_id, id))."""
    with db.connect() as session:
        if session.one("SELECT id FROM items WHERE id = ?", (item_id,)) is None:
            raise HTTPException(status_code=404, detail=f"item {item_id} does not exist")
        rows = session.all(
            "SELECT id, item_id, quantity, total_cents FROM orders WHERE item_id = ? "
            "ORDER BY id DESC LIMIT ?",
            (item_id, limit),
        )
    return [_order(row) for row in rows]


@app.post("/items", status_code=201, responses={**MALFORMED, 409: {"model": Problem}})
def create_item(new: NewItem) -> Item:
    """A new item of the catalogue; its name must be new."""
    try:
        with db.connect() as session:
            created = session.one(
                "INSERT INTO items (name, price_cents, stock) VALUES (?, ?, ?) RETURNING id",
                (new.name, new.price_cents, new.stock),
            )
    except db.Conflict:
        raise HTTPException(status_code=409, detail=f"{new.name} exists already") from None
    assert created is not None  # an INSERT ... RETURNING returns its row
    return Item(id=int(created["id"]), name=new.name, price_cents=new.price_cents,
                stock=new.stock)


@app.post(
    "/orders", status_code=201,
    responses={**MALFORMED, 404: {"model": Problem}, 409: {"model": Problem}},
)
def create_order(order: NewOrder) -> Order:
    """An order of an item, taken from its stock; refused when the stock is short."""
    try:
        with db.connect() as session:
            return place_order(session, order)
    except OrderError as exc:
        raise HTTPException(status_code=exc.status, detail=str(exc)) from None


@app.get("/stock")
def stock() -> Stock:
    """The units in stock and their value, over the whole catalogue."""
    with db.connect() as session:
        row = session.one(
            "SELECT COALESCE(SUM(stock), 0) AS units, "
            "COALESCE(SUM(stock * price_cents), 0) AS value FROM items"
        )
    assert row is not None  # an aggregate without GROUP BY returns one row
    return Stock(units=int(row["units"]), value_cents=int(row["value"]))


@app.get("/report/sales")
def sales_report() -> list[ItemSales]:
    """Orders, units and revenue per item, best sellers first: a join and an aggregate over
    the whole order history."""
    with db.connect() as session:
        rows = session.all(
            "SELECT items.id AS item_id, items.name AS name, COUNT(orders.id) AS orders, "
            "COALESCE(SUM(orders.quantity), 0) AS units, "
            "COALESCE(SUM(orders.total_cents), 0) AS revenue_cents "
            "FROM items LEFT JOIN orders ON orders.item_id = items.id "
            "GROUP BY items.id, items.name ORDER BY revenue_cents DESC, items.id"
        )
    return [
        ItemSales(item_id=int(row["item_id"]), name=str(row["name"]), orders=int(row["orders"]),
                  units=int(row["units"]), revenue_cents=int(row["revenue_cents"]))
        for row in rows
    ]
