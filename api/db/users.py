"""Console tables: named users, their sign-in sessions, and the audit trail.

Users sign in to the web console (``/console``) with a password (argon2id hash, never the
password); a session row holds the sha256 of the session cookie and the CSRF token of
its forms. Every change made in the console writes an :class:`AuditEntry` (who, when,
what item, the item before and after).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from api.db.models import Base, UtcDateTime, _one_of, utcnow

CONSOLE_ROLES = ("supervisor", "analyst", "handler", "admin")


class User(Base):
    """A named console user with one role; ``active`` false: may no longer sign in."""

    __tablename__ = "users"
    __table_args__ = (_one_of("role", CONSOLE_ROLES, "role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class ConsoleSession(Base):
    """One signed-in browser: the cookie's sha256 (never the cookie) and its CSRF token."""

    __tablename__ = "console_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)


class AuditEntry(Base):
    """One change made in the console (or to users from the CLI): who, when, what, before/after."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_item_type_item_id", "item_type", "item_id"),)  # an item's trail

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    username: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    item_type: Mapped[str] = mapped_column(String(32))
    item_id: Mapped[str] = mapped_column(String(128))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
