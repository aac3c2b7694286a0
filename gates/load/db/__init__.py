"""Database statement timings for the load gate: `db_avg_ms` and `db_max_ms`."""
