"""Passwords, sessions, CSRF tokens and the sign-in throttle of the web console.

* Passwords: argon2id (``argon2-cffi``), rehashed on sign-in when the parameters change.
* Sessions: a random cookie (HttpOnly, SameSite=Lax, Secure when configured); the
  database keeps only its sha256, so a copy of the database cannot sign anyone in.
  Signing out, disabling a user and resetting a password delete the user's sessions.
* CSRF: the synchronizer-token pattern (OWASP). Each session has its own random token,
  every form carries it, and a POST without the matching token is refused with 403. The
  sign-in form, used before there is a session, carries a token matched against a
  short-lived cookie (double submit).
* Throttle: after ``FAILURES`` failed sign-ins for one user name within ``WINDOW_S``,
  each further attempt waits ``console_lockout_delay_s`` and is logged. The answer never
  says whether the name or the password was wrong.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from api.db import ConsoleSession, User
from api.db.models import utcnow

logger = logging.getLogger("govperf.api.console")

SESSION_COOKIE = "govperf_session"
LOGIN_CSRF_COOKIE = "govperf_login_csrf"
LANG_COOKIE = "govperf_lang"
FAILURES = 5
WINDOW_S = 15 * 60

_hasher = PasswordHasher()
# verified against when the user name is unknown, so both cases take the same time
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(session: Session, username: str, password: str) -> User | None:
    """The active user with this name and password, else None (same work either way)."""
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    try:
        _hasher.verify(user.password_hash if user is not None else _DUMMY_HASH, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def same_token(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest(expected.encode(), given.encode())


def start_session(session: Session, user: User, hours: float) -> str:
    """Store a new session for ``user``; returns the cookie value (shown only to the browser)."""
    token = new_token()
    now = utcnow()
    session.execute(delete(ConsoleSession).where(ConsoleSession.expires_at < now))  # housekeeping
    session.add(ConsoleSession(
        token_hash=token_hash(token), user_id=user.id, csrf_token=new_token(), created_at=now,
        expires_at=now + timedelta(hours=hours),
    ))
    user.last_login_at = now
    return token


def find_session(session: Session, token: str | None) -> tuple[ConsoleSession, User] | None:
    """The live session of this cookie and its (active) user, else None."""
    if not token:
        return None
    row = session.execute(
        select(ConsoleSession, User).join(User, User.id == ConsoleSession.user_id)
        .where(ConsoleSession.token_hash == token_hash(token))
    ).first()
    if row is None:
        return None
    found, user = row
    if not user.active or found.expires_at <= utcnow():
        return None
    return found, user


def end_sessions(session: Session, *, token: str | None = None, user_id: int | None = None) -> None:
    """Delete one session (by cookie) or all of a user's sessions."""
    stmt = delete(ConsoleSession)
    if token is not None:
        stmt = stmt.where(ConsoleSession.token_hash == token_hash(token))
    elif user_id is not None:
        stmt = stmt.where(ConsoleSession.user_id == user_id)
    else:
        raise ValueError("end_sessions needs a token or a user id")
    session.execute(stmt)


class LoginThrottle:
    """Failed sign-ins per user name in a moving window (this process's memory)."""

    def __init__(self, delay_s: float, clock=time.monotonic):
        self.delay_s = delay_s
        self._clock = clock
        self._failures: dict[str, list[float]] = {}

    def _recent(self, username: str) -> list[float]:
        now = self._clock()
        kept = [t for t in self._failures.get(username, []) if now - t < WINDOW_S]
        if kept:
            self._failures[username] = kept
        else:
            self._failures.pop(username, None)
        return kept

    def delay(self, username: str, client: str) -> float:
        """Seconds to wait before checking this attempt (0 under the limit); logs each delayed one."""
        count = len(self._recent(username))
        if count < FAILURES:
            return 0.0
        logger.warning(
            "console sign-in: %d failed attempts for user %r in %d min (from %s); delaying %.1f s",
            count, username, WINDOW_S // 60, client, self.delay_s,
        )
        return self.delay_s

    def failed(self, username: str) -> None:
        self._failures.setdefault(username, []).append(self._clock())
        if len(self._failures) > 10_000:  # bound the memory a stream of made-up names can take
            self._failures.pop(next(iter(self._failures)))

    def succeeded(self, username: str) -> None:
        self._failures.pop(username, None)

