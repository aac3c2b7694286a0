"""Schema migrations of the history store (alembic), applied by the store itself on opening."""
