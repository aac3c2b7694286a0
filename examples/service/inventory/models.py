"""Request and response bodies."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Item(BaseModel):
    id: int
    name: str
    price_cents: int
    stock: int


class NewItem(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    price_cents: int = Field(ge=0)
    stock: int = Field(ge=0)


class NewOrder(BaseModel):
    item_id: int
    quantity: int = Field(gt=0)


class Order(BaseModel):
    id: int
    item_id: int
    quantity: int
    total_cents: int


class Stock(BaseModel):
    units: int
    value_cents: int


class ItemSales(BaseModel):
    item_id: int
    name: str
    orders: int
    units: int
    revenue_cents: int
