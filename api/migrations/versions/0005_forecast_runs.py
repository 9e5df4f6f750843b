"""Forecast runs: a user's series forecast and reconciled together, and their stored rows.

The forecasts table gains ``run_id`` (null for the sample city's forecasts) and ``level``
(the node's level in the run's hierarchy). Uniqueness splits in two: rows without a run
stay unique on (unique_id, ds, model_version, cutoff), a partial unique index, so storing
the sample city again adds nothing; a run's rows are unique on (run_id, unique_id, ds), so
two runs of the same series, model and cutoff (other data, another hierarchy) never collide.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SAMPLE_KEY = "uq_forecasts_unique_id_ds_model_version_cutoff"
_NO_RUN = sa.text("run_id IS NULL")


def upgrade() -> None:
    op.create_table(
        "forecast_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("model_version", sa.String(200), nullable=False),
        sa.Column("cutoff", sa.DateTime(), nullable=False),
        sa.Column("h", sa.Integer(), nullable=False),
        sa.Column("reconciliation", sa.String(16), nullable=False),
        sa.Column("hierarchy", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("series", sa.Integer(), nullable=False),
        sa.Column("bottom", sa.Integer(), nullable=False),
        sa.Column("created_by_role", sa.String(32), nullable=False),
        sa.Column("created_by_key", sa.String(16), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=True),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_forecast_runs"),
        sa.UniqueConstraint(
            "created_by_key", "idempotency_key", name="uq_forecast_runs_created_by_key_idempotency_key"
        ),
        sa.CheckConstraint(
            "reconciliation IN ('bottom_up', 'ols', 'mint_shrink', 'none')", name="ck_forecast_runs_reconciliation"
        ),
        sa.CheckConstraint("status IN ('completed')", name="ck_forecast_runs_status"),
    )
    with op.batch_alter_table("forecasts") as batch:
        batch.drop_constraint(_SAMPLE_KEY, type_="unique")
        batch.add_column(sa.Column("run_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("level", sa.String(200), nullable=True))
        batch.create_foreign_key(
            "fk_forecasts_run_id_forecast_runs", "forecast_runs", ["run_id"], ["id"], ondelete="CASCADE"
        )
        batch.create_unique_constraint("uq_forecasts_run_id_unique_id_ds", ["run_id", "unique_id", "ds"])
    op.create_index(
        _SAMPLE_KEY, "forecasts", ["unique_id", "ds", "model_version", "cutoff"], unique=True,
        sqlite_where=_NO_RUN, postgresql_where=_NO_RUN,
    )


def downgrade() -> None:
    op.execute("DELETE FROM forecasts WHERE run_id IS NOT NULL")
    op.drop_index(_SAMPLE_KEY, table_name="forecasts")
    with op.batch_alter_table("forecasts") as batch:
        batch.drop_constraint("uq_forecasts_run_id_unique_id_ds", type_="unique")
        batch.drop_constraint("fk_forecasts_run_id_forecast_runs", type_="foreignkey")
        batch.drop_column("level")
        batch.drop_column("run_id")
        batch.create_unique_constraint(_SAMPLE_KEY, ["unique_id", "ds", "model_version", "cutoff"])
    op.drop_table("forecast_runs")
