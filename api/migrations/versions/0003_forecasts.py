"""Stored demand forecasts (the sample city's, for analysts to read back).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "forecasts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unique_id", sa.String(401), nullable=False),
        sa.Column("org_unit", sa.String(200), nullable=False),
        sa.Column("channel", sa.String(200), nullable=False),
        sa.Column("ds", sa.DateTime(), nullable=False),
        sa.Column("h_step", sa.Integer(), nullable=False),
        sa.Column("mean", sa.Float(), nullable=True),
        sa.Column("lo_80", sa.Float(), nullable=True),
        sa.Column("hi_80", sa.Float(), nullable=True),
        sa.Column("lo_95", sa.Float(), nullable=True),
        sa.Column("hi_95", sa.Float(), nullable=True),
        sa.Column("cutoff", sa.DateTime(), nullable=False),
        sa.Column("model_version", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_forecasts"),
        sa.UniqueConstraint(
            "unique_id", "ds", "model_version", "cutoff", name="uq_forecasts_unique_id_ds_model_version_cutoff"
        ),
    )
    op.create_index("ix_forecasts_unique_id_cutoff", "forecasts", ["unique_id", "cutoff"])
    op.create_index("ix_forecasts_org_unit_channel", "forecasts", ["org_unit", "channel"])


def downgrade() -> None:
    op.drop_index("ix_forecasts_org_unit_channel", table_name="forecasts")
    op.drop_index("ix_forecasts_unique_id_cutoff", table_name="forecasts")
    op.drop_table("forecasts")
