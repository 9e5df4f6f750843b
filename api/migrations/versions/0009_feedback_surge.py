"""Complaint surges: alerts may be of the kind ``feedback_surge``.

A ``feedback_surge`` alert is raised when the weekly count of citizens' messages of one
district, service area and service dimension surges (``govperf_ml.feedback.surges``). Its
evidence (the messages, the linked KPI alerts and red targets) is read from the existing
tables when the alert is read, so no table changes.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KINDS = "'performance_anomaly', 'data_quality', 'suspected_misreporting', 'peer_outlier', 'target_risk', 'model_drift'"


def _alert_kinds(kinds: str) -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.drop_constraint(op.f("ck_alerts_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_alerts_kind"), f"kind IN ({kinds})")


def upgrade() -> None:
    _alert_kinds(f"{_KINDS}, 'feedback_surge'")


def downgrade() -> None:
    op.execute("DELETE FROM alerts WHERE kind = 'feedback_surge'")
    _alert_kinds(_KINDS)
