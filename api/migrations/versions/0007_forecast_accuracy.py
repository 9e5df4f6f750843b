"""The forecast accuracy watch: stored forecasts meet their actuals; ``model_drift`` alerts.

The forecasts table gains ``scale`` (MASE's scale of the history the forecast was made
from), ``actual`` and ``scored_at`` (set when the period's value is ingested), and an
index on (unique_id, ds) so arriving actuals find their forecasts. Alerts may be of the
kind ``model_drift``.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KINDS = "'performance_anomaly', 'data_quality', 'suspected_misreporting', 'peer_outlier', 'target_risk'"


def _alert_kinds(kinds: str, old: str, new: str) -> None:
    # 0001 named it ck_alerts_ck_alerts_kind (the naming convention applied twice); the
    # models' name is ck_alerts_kind, which the upgrade uses from here on
    with op.batch_alter_table("alerts") as batch:
        batch.drop_constraint(op.f(old), type_="check")
        batch.create_check_constraint(op.f(new), f"kind IN ({kinds})")


def upgrade() -> None:
    with op.batch_alter_table("forecasts") as batch:
        batch.add_column(sa.Column("scale", sa.Float(), nullable=True))
        batch.add_column(sa.Column("actual", sa.Float(), nullable=True))
        batch.add_column(sa.Column("scored_at", sa.DateTime(), nullable=True))
    op.create_index("ix_forecasts_unique_id_ds", "forecasts", ["unique_id", "ds"])
    _alert_kinds(f"{_KINDS}, 'model_drift'", "ck_alerts_ck_alerts_kind", "ck_alerts_kind")


def downgrade() -> None:
    op.execute("DELETE FROM alerts WHERE kind = 'model_drift'")
    _alert_kinds(_KINDS, "ck_alerts_kind", "ck_alerts_ck_alerts_kind")
    op.drop_index("ix_forecasts_unique_id_ds", table_name="forecasts")
    with op.batch_alter_table("forecasts") as batch:
        batch.drop_column("scored_at")
        batch.drop_column("actual")
        batch.drop_column("scale")
