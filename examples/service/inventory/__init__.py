"""A small inventory API backed by SQLite."""
