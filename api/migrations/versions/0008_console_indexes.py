"""Indexes for the console's alert inbox, alert page and audit trail.

The inbox lists alerts newest period first (``ds, id``), filters them by indicator (and
by dimension, a set of indicators) over a period range (``indicator, ds``) and counts them
per kind under any status and severity (``kind, status, severity``, a covering index);
the alert page reads the peers' values of one indicator and period (``observations:
indicator, ds``) and the alert's audit entries (``audit_log: item_type, item_id``).
Measured with ``govperf bench console`` (100,000 alerts over 20,000 series).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03

"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("ix_alerts_ds_id", "alerts", ["ds", "id"]),
    ("ix_alerts_indicator_ds", "alerts", ["indicator", "ds"]),
    ("ix_alerts_kind_status_severity", "alerts", ["kind", "status", "severity"]),
    ("ix_observations_indicator_ds", "observations", ["indicator", "ds"]),
    ("ix_audit_log_item_type_item_id", "audit_log", ["item_type", "item_id"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
