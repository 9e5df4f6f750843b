"""The targets' calibration watch: an assessment history and each target's outcome.

``target_assessments`` keeps every assessment of an open target (status and ``p_miss`` as
of one period, by one model version); ``targets`` gains ``achieved``, ``missed`` and
``decided_at``, set once the series' values cover the deadline. Decided targets' past
statuses are compared with the backtest's miss rate per status; a drift raises a
``model_drift`` alert (an existing kind).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("targets") as batch:
        batch.add_column(sa.Column("achieved", sa.Float(), nullable=True))
        batch.add_column(sa.Column("missed", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("decided_at", sa.DateTime(), nullable=True))
    op.create_table(
        "target_assessments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("target_id", sa.String(420), nullable=False),
        sa.Column("as_of", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("p_miss", sa.Float(), nullable=True),
        sa.Column("model_version", sa.String(200), nullable=False),
        sa.Column("assessed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_target_assessments"),
        sa.ForeignKeyConstraint(["target_id"], ["targets.target_id"], ondelete="CASCADE",
                                name="fk_target_assessments_target_id_targets"),
        sa.UniqueConstraint("target_id", "as_of", "model_version",
                            name="uq_target_assessments_target_id_as_of_model_version"),
        sa.CheckConstraint("status IN ('green', 'amber', 'red')", name="ck_target_assessments_status"),
    )


def downgrade() -> None:
    op.drop_table("target_assessments")
    with op.batch_alter_table("targets") as batch:
        batch.drop_column("decided_at")
        batch.drop_column("missed")
        batch.drop_column("achieved")
