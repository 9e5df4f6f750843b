"""Stored targets with their latest risk assessment.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "targets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("target_id", sa.String(420), nullable=False),
        sa.Column("unique_id", sa.String(401), nullable=False),
        sa.Column("org_unit", sa.String(200), nullable=False),
        sa.Column("indicator", sa.String(200), nullable=False),
        sa.Column("target", sa.Float(), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("direction", sa.String(16), nullable=False),
        sa.Column("aggregation", sa.String(8), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("risk_status", sa.String(8), nullable=True),
        sa.Column("p_miss", sa.Float(), nullable=True),
        sa.Column("projected", sa.Float(), nullable=True),
        sa.Column("projected_lo", sa.Float(), nullable=True),
        sa.Column("projected_hi", sa.Float(), nullable=True),
        sa.Column("required_rate", sa.Float(), nullable=True),
        sa.Column("current_rate", sa.Float(), nullable=True),
        sa.Column("current_value", sa.Float(), nullable=True),
        sa.Column("as_of", sa.DateTime(), nullable=True),
        sa.Column("reason_en", sa.Text(), nullable=True),
        sa.Column("reason_zh", sa.Text(), nullable=True),
        sa.Column("model_version", sa.String(200), nullable=True),
        sa.Column("assessed_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_targets"),
        sa.UniqueConstraint("target_id", name="uq_targets_target_id"),
        sa.CheckConstraint("direction IN ('higher', 'lower')", name="ck_targets_direction"),
        sa.CheckConstraint("aggregation IN ('last', 'mean', 'sum')", name="ck_targets_aggregation"),
        sa.CheckConstraint("risk_status IN ('green', 'amber', 'red')", name="ck_targets_risk_status"),
    )
    op.create_index("ix_targets_unique_id", "targets", ["unique_id"])
    op.create_index("ix_targets_org_unit_indicator", "targets", ["org_unit", "indicator"])
    op.create_index("ix_targets_risk_status", "targets", ["risk_status"])


def downgrade() -> None:
    op.drop_index("ix_targets_risk_status", table_name="targets")
    op.drop_index("ix_targets_org_unit_indicator", table_name="targets")
    op.drop_index("ix_targets_unique_id", table_name="targets")
    op.drop_table("targets")
