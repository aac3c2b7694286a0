"""The history's tables, as SQLAlchemy Core sees them today (the migrations create them).

Every figure a query needs is an indexed column: the target, branch, commit, time, status and
score of a run, and each condition's value and status; the whole scorecard is kept beside them.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_key", String(64), nullable=False, unique=True),
    Column("target", String(1000), nullable=False),
    Column("branch", String(255)),
    Column("commit", String(64)),
    Column("dirty", Boolean),
    Column("started_at", DateTime, nullable=False),
    Column("recorded_at", DateTime, nullable=False),
    Column("status", String(16), nullable=False),
    Column("score", Float, nullable=False),
    Column("grade", String(2), nullable=False),
    Column("duration_s", Float, nullable=False),
    Column("auditor_version", String(64), nullable=False),
    Column("scorecard", Text, nullable=False),
    Index("ix_runs_target_branch_started", "target", "branch", "started_at"),
    Index("ix_runs_target_started", "target", "started_at"),
    Index("ix_runs_commit", "commit"),
    Index("ix_runs_status", "status"),
    Index("ix_runs_score", "score"),
)

conditions = Table(
    "run_conditions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("gate", String(64), nullable=False),
    Column("condition", String(128), nullable=False),
    Column("value", Float),
    Column("status", String(16), nullable=False),
    Column("blocking", Boolean, nullable=False),
    Column("unit", String(16), nullable=False),
    Column("op", String(4), nullable=False),
    Column("threshold", Float, nullable=False),
    Index("ix_run_conditions_run", "run_id"),
    Index("ix_run_conditions_id_value", "gate", "condition", "value"),
    Index("ix_run_conditions_id_status", "gate", "condition", "status"),
)

HEAD_REVISION = "0001"
"""The newest migration; a store already there is opened without loading the migration tool."""

alembic_version = Table(
    "alembic_version", MetaData(), Column("version_num", String(32), primary_key=True)
)
"""Where the migrations record the store's revision (never created from this definition)."""
