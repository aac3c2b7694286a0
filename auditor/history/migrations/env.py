"""Alembic's entry point: migrate the connection the store hands over, inside its transaction."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

connection = context.config.attributes["connection"]
assert isinstance(connection, Connection)  # noqa: S101  # the store always passes one
context.configure(connection=connection, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
