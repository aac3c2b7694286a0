"""Request and response bodies."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, BeforeValidator, Field

MAX_ID = 2**53 - 1
"""The largest integer a JSON number carries exactly (and well within SQLite INTEGER)."""
MAX_PRICE_CENTS = 100_000_000
MAX_STOCK = 1_000_000
"""Bounds that keep every price x stock, and the catalogue's total value, within SQLite INTEGER."""
MAX_QUANTITY = MAX_STOCK


def _not_a_bool(value: object) -> object:
    # JSON Schema's integer excludes true/false, which pydantic would read as 1/0.
    if isinstance(value, bool):
        raise ValueError("must be an integer, not true or false")
    return value


Whole = Annotated[int, BeforeValidator(_not_a_bool)]


class Item(BaseModel):
    id: int
    name: str
    price_cents: int
    stock: int


class NewItem(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    price_cents: Whole = Field(ge=0, le=MAX_PRICE_CENTS)
    stock: Whole = Field(ge=0, le=MAX_STOCK)


class NewOrder(BaseModel):
    item_id: Whole = Field(ge=1, le=MAX_ID)
    quantity: Whole = Field(gt=0, le=MAX_QUANTITY)


class Order(BaseModel):
    id: int
    item_id: int
    quantity: int
    total_cents: int


class Problem(BaseModel):
    """The body of an error answer."""

    detail: str


class Stock(BaseModel):
    units: int
    value_cents: int


class ItemSales(BaseModel):
    item_id: int
    name: str
    orders: int
    units: int
    revenue_cents: int
