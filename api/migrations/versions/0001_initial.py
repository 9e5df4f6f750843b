"""Initial schema: observations, alerts and their events, citizen feedback.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ALERT_KINDS = "'performance_anomaly', 'data_quality', 'suspected_misreporting', 'peer_outlier', 'target_risk'"


def upgrade() -> None:
    op.create_table(
        "counters",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_counters"),
    )
    op.bulk_insert(
        sa.table("counters", sa.column("name", sa.String), sa.column("value", sa.Integer)),
        [{"name": "alert_seq", "value": 0}],
    )

    op.create_table(
        "observations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_unit", sa.String(200), nullable=False),
        sa.Column("indicator", sa.String(200), nullable=False),
        sa.Column("unique_id", sa.String(401), nullable=False),
        sa.Column("ds", sa.DateTime(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("direction", sa.String(16), nullable=True),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_observations"),
        sa.UniqueConstraint("unique_id", "ds", name="uq_observations_unique_id_ds"),
    )
    op.create_index("ix_observations_org_unit_indicator", "observations", ["org_unit", "indicator"])

    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("unique_id", sa.String(401), nullable=False),
        sa.Column("org_unit", sa.String(200), nullable=False),
        sa.Column("indicator", sa.String(200), nullable=False),
        sa.Column("ds", sa.DateTime(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("observed", sa.Float(), nullable=True),
        sa.Column("expected", sa.Float(), nullable=True),
        sa.Column("lower", sa.Float(), nullable=True),
        sa.Column("upper", sa.Float(), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("detectors", sa.JSON(), nullable=False),
        sa.Column("reason_en", sa.Text(), nullable=False),
        sa.Column("reason_zh", sa.Text(), nullable=False),
        sa.Column("model_version", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_alerts"),
        sa.UniqueConstraint("seq", name="uq_alerts_seq"),
        sa.UniqueConstraint("unique_id", "ds", "kind", name="uq_alerts_unique_id_ds_kind"),
        sa.CheckConstraint(f"kind IN ({ALERT_KINDS})", name="ck_alerts_kind"),
        sa.CheckConstraint("severity IN ('low', 'medium', 'high')", name="ck_alerts_severity"),
        sa.CheckConstraint("status IN ('open', 'acknowledged', 'resolved', 'dismissed')", name="ck_alerts_status"),
    )
    op.create_index("ix_alerts_org_unit_indicator", "alerts", ["org_unit", "indicator"])
    op.create_index("ix_alerts_status", "alerts", ["status"])

    op.create_table(
        "alert_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(16), nullable=True),
        sa.Column("to_status", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("actor_role", sa.String(32), nullable=False),
        sa.Column("actor_key", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_alert_events"),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alerts.id"], name="fk_alert_events_alert_id_alerts", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_alert_events_alert_id", "alert_events", ["alert_id"])

    op.create_table(
        "feedback_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(128), nullable=False),
        sa.Column("masked_text", sa.Text(), nullable=False),
        sa.Column("channel", sa.String(32), nullable=True),
        sa.Column("received_at", sa.DateTime(), nullable=True),
        sa.Column("org_unit", sa.String(200), nullable=True),
        sa.Column("area", sa.String(64), nullable=True),
        sa.Column("area_confidence", sa.Float(), nullable=True),
        sa.Column("area_probabilities", sa.JSON(), nullable=False),
        sa.Column("dimensions", sa.JSON(), nullable=False),
        sa.Column("dimension_probabilities", sa.JSON(), nullable=False),
        sa.Column("needs_review", sa.Boolean(), nullable=False),
        sa.Column("model_version", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_feedback_messages"),
        sa.UniqueConstraint("message_id", name="uq_feedback_messages_message_id"),
        sa.CheckConstraint(
            "status IN ('pending_review', 'auto_tagged', 'confirmed', 'corrected')",
            name="ck_feedback_messages_status",
        ),
    )
    op.create_index("ix_feedback_messages_status", "feedback_messages", ["status"])

    op.create_table(
        "feedback_corrections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(128), nullable=False),
        sa.Column("area", sa.String(64), nullable=False),
        sa.Column("dimensions", sa.JSON(), nullable=False),
        sa.Column("handler_role", sa.String(32), nullable=False),
        sa.Column("handler_key", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_feedback_corrections"),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["feedback_messages.message_id"],
            name="fk_feedback_corrections_message_id_feedback_messages",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_feedback_corrections_message_id", "feedback_corrections", ["message_id"])


def downgrade() -> None:
    op.drop_index("ix_feedback_corrections_message_id", table_name="feedback_corrections")
    op.drop_table("feedback_corrections")
    op.drop_index("ix_feedback_messages_status", table_name="feedback_messages")
    op.drop_table("feedback_messages")
    op.drop_index("ix_alert_events_alert_id", table_name="alert_events")
    op.drop_table("alert_events")
    op.drop_index("ix_alerts_status", table_name="alerts")
    op.drop_index("ix_alerts_org_unit_indicator", table_name="alerts")
    op.drop_table("alerts")
    op.drop_index("ix_observations_org_unit_indicator", table_name="observations")
    op.drop_table("observations")
    op.drop_table("counters")
