"""The service database: ORM tables, engine, migrations and the per-request session."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from api.db.engine import ensure_sqlite_folder, make_engine, make_session_factory
from api.db.models import (
    ALERT_KINDS,
    ALERT_STATUSES,
    FEEDBACK_STATUSES,
    RISK_STATUSES,
    SEVERITIES,
    Alert,
    AlertEvent,
    Base,
    Counter,
    FeedbackCorrection,
    FeedbackMessage,
    Forecast,
    ForecastRun,
    Observation,
    Target,
    TargetAssessment,
    WebhookDelivery,
    WebhookSubscription,
)
from api.db.users import CONSOLE_ROLES, AuditEntry, ConsoleSession, User

ALEMBIC_INI = Path(__file__).resolve().parent.parent / "alembic.ini"


def alembic_config(database_url: str) -> Config:
    """An Alembic config for ``database_url`` that leaves the caller's logging alone."""
    cfg = Config(str(ALEMBIC_INI))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    cfg.attributes["configure_logger"] = False
    return cfg


def migrate(database_url: str, revision: str = "head") -> None:
    """Bring the database at ``database_url`` to ``revision`` (``alembic upgrade head``)."""
    ensure_sqlite_folder(database_url)
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str = "base") -> None:
    """Undo migrations down to ``revision`` (``alembic downgrade base`` by default)."""
    command.downgrade(alembic_config(database_url), revision)


__all__ = [
    "ALERT_KINDS",
    "CONSOLE_ROLES",
    "AuditEntry",
    "ConsoleSession",
    "User",
    "ALERT_STATUSES",
    "FEEDBACK_STATUSES",
    "RISK_STATUSES",
    "SEVERITIES",
    "Alert",
    "AlertEvent",
    "Base",
    "Counter",
    "FeedbackCorrection",
    "FeedbackMessage",
    "Forecast",
    "ForecastRun",
    "Observation",
    "Target",
    "TargetAssessment",
    "WebhookDelivery",
    "WebhookSubscription",
    "alembic_config",
    "downgrade",
    "make_engine",
    "make_session_factory",
    "migrate",
]
