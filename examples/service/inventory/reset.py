"""Put the database back to its seeded state: `python -m inventory.reset`.

The audit runs it before each start of the service (`reset` in `[tool.audit.load]`, which the
api gate inherits), so the items and orders one gate's requests created are gone when the next
gate's service starts: on SQLite the file (`$INVENTORY_DB`, else `inventory.db` in the temporary
directory) is deleted, on PostgreSQL (`$DATABASE_URL`) the tables are dropped; then the tables
are created and seeded anew.
"""

from __future__ import annotations

from pathlib import Path

from inventory import db

SQLITE_COMPANIONS = ("-journal", "-wal", "-shm")
"""Files SQLite keeps beside the database while it writes to it."""
DROP_TABLES = ("DROP TABLE IF EXISTS orders", "DROP TABLE IF EXISTS items")
"""In this order: orders refer to items."""


def _drop_sqlite(path: Path) -> None:
    for candidate in (path, *(path.with_name(path.name + end) for end in SQLITE_COMPANIONS)):
        candidate.unlink(missing_ok=True)


def _drop_postgres() -> None:  # pragma: no cover - needs a server
    with db.connect() as session:
        for statement in DROP_TABLES:
            session.run(statement)


def reset() -> str:
    """Drop what the service stored, create and seed the tables again; what was reset."""
    if db.database_url() is not None:  # pragma: no cover - needs a server
        _drop_postgres()
        where = "the PostgreSQL database"
    else:
        path = db.database_path()
        _drop_sqlite(path)
        where = str(path)
    db.initialise()
    return f"reset {where}: tables created and seeded"


def main() -> None:
    print(reset())


if __name__ == "__main__":  # pragma: no cover - run as `python -m inventory.reset`
    main()
