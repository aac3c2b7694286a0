"""The SQLite database: schema, seed data and connections."""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    price_cents INTEGER NOT NULL CHECK (price_cents >= 0),
    stock INTEGER NOT NULL CHECK (stock >= 0)
);
CREATE TABLE IF NOT EXISTS orders (
    id INTEGER PRIMARY KEY,
    item_id INTEGER NOT NULL REFERENCES items(id),
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    total_cents INTEGER NOT NULL
);
"""

SEED = [
    ("keyboard", 4999, 120),
    ("mouse", 1999, 300),
    ("monitor", 18999, 40),
    ("cable", 499, 1000),
]


def database_path() -> Path:
    """Where the database lives: $INVENTORY_DB, else a file in the temporary directory."""
    configured = os.environ.get("INVENTORY_DB")
    if configured:
        return Path(configured)
    return Path(tempfile.gettempdir()) / "inventory.db"


def initialise(path: Path) -> None:
    """Create the tables and seed the catalogue when it is empty."""
    with sqlite3.connect(path) as conn:
        conn.executescript(SCHEMA)
        (count,) = conn.execute("SELECT COUNT(*) FROM items").fetchone()
        if count == 0:
            conn.executemany(
                "INSERT INTO items (name, price_cents, stock) VALUES (?, ?, ?)", SEED
            )


@contextmanager
def connect(path: Path) -> Iterator[sqlite3.Connection]:
    """A connection that commits on success and rolls back on error."""
    conn = sqlite3.connect(path, timeout=5)
    conn.row_factory = sqlite3.Row
    try:
        with conn:
            yield conn
    finally:
        conn.close()
