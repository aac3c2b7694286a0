"""Runs and their conditions.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels: tuple[str, ...] | None = None
depends_on: tuple[str, ...] | None = None


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_key", sa.String(64), nullable=False, unique=True),
        sa.Column("target", sa.String(1000), nullable=False),
        sa.Column("branch", sa.String(255)),
        sa.Column("commit", sa.String(64)),
        sa.Column("dirty", sa.Boolean),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("grade", sa.String(2), nullable=False),
        sa.Column("duration_s", sa.Float, nullable=False),
        sa.Column("auditor_version", sa.String(64), nullable=False),
        sa.Column("scorecard", sa.Text, nullable=False),
    )
    op.create_index("ix_runs_target_branch_started", "runs", ["target", "branch", "started_at"])
    op.create_index("ix_runs_target_started", "runs", ["target", "started_at"])
    op.create_index("ix_runs_commit", "runs", ["commit"])
    op.create_index("ix_runs_status", "runs", ["status"])
    op.create_index("ix_runs_score", "runs", ["score"])
    op.create_table(
        "run_conditions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("gate", sa.String(64), nullable=False),
        sa.Column("condition", sa.String(128), nullable=False),
        sa.Column("value", sa.Float),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("blocking", sa.Boolean, nullable=False),
        sa.Column("unit", sa.String(16), nullable=False),
        sa.Column("op", sa.String(4), nullable=False),
        sa.Column("threshold", sa.Float, nullable=False),
    )
    op.create_index("ix_run_conditions_run", "run_conditions", ["run_id"])
    op.create_index("ix_run_conditions_id_value", "run_conditions", ["gate", "condition", "value"])
    op.create_index(
        "ix_run_conditions_id_status", "run_conditions", ["gate", "condition", "status"]
    )


def downgrade() -> None:
    op.drop_table("run_conditions")
    op.drop_table("runs")
