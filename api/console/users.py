"""Managing console users (the ``govperf users`` commands) and writing the audit trail."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.console.security import end_sessions, hash_password
from api.db import CONSOLE_ROLES, AuditEntry, User
from api.db.models import utcnow

USERNAME = re.compile(r"^[A-Za-z0-9._@-]{2,64}$")
MIN_PASSWORD = 10


class UserError(ValueError):
    """A user command that cannot be carried out (bad name, role or password; unknown user)."""


def audit(
    session: Session, username: str, action: str, item_type: str, item_id: str,
    before: dict[str, Any] | None = None, after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Write one audit row in the caller's transaction."""
    entry = AuditEntry(
        at=utcnow(), username=username, action=action, item_type=item_type, item_id=str(item_id)[:128],
        before=before, after=after,
    )
    session.add(entry)
    return entry


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"the password must have at least {MIN_PASSWORD} characters")


def _user(session: Session, username: str) -> User:
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise UserError(f"no user named {username!r}")
    return user


def _public(user: User) -> dict[str, Any]:
    return {"username": user.username, "role": user.role, "active": user.active}


def add_user(session: Session, username: str, role: str, password: str, *, actor: str) -> User:
    if not USERNAME.match(username):
        raise UserError("a user name has 2-64 letters, digits or . _ @ -")
    if role not in CONSOLE_ROLES:
        raise UserError(f"unknown role {role!r}; roles are {list(CONSOLE_ROLES)}")
    check_password_rules(password)
    if session.execute(select(User.id).where(User.username == username)).first() is not None:
        raise UserError(f"a user named {username!r} exists already")
    now = utcnow()
    user = User(username=username, role=role, password_hash=hash_password(password), active=True,
                created_at=now, updated_at=now)
    session.add(user)
    session.flush()
    audit(session, actor, "user.add", "user", username, None, _public(user))
    return user


def disable_user(session: Session, username: str, *, actor: str) -> User:
    """The user can no longer sign in; their open sessions end now."""
    user = _user(session, username)
    before = _public(user)
    user.active = False
    user.updated_at = utcnow()
    end_sessions(session, user_id=user.id)
    audit(session, actor, "user.disable", "user", username, before, _public(user))
    return user


def reset_password(session: Session, username: str, password: str, *, actor: str) -> User:
    """A new password (the user is enabled again); their open sessions end now."""
    check_password_rules(password)
    user = _user(session, username)
    before = _public(user)
    user.password_hash = hash_password(password)
    user.active = True
    user.updated_at = utcnow()
    end_sessions(session, user_id=user.id)
    audit(session, actor, "user.reset_password", "user", username, before, _public(user))
    return user
