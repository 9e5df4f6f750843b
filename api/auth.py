"""API-key authentication and role checks.

Callers send their key in ``X-API-Key`` (or ``Authorization: Bearer <key>``). Keys are
stored only as sha256 hashes, in a JSON file written with 0600 permissions, and compared
with :func:`hmac.compare_digest`. Each key carries one role:

``scoring_core``
    the scoring-core service; may call every endpoint.
``supervisor``
    receives and works alerts; scores anomalies; forecasts and target risk.
``analyst``
    forecasts and target risk; reads alerts.
``handler``
    complaint handler: classifies citizen feedback and corrects its tags.

A missing or unknown key is a 401 (with ``WWW-Authenticate``); a known key whose role
is not allowed on the route is a 403.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import math
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from limits import parse as parse_limit
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from api.settings import ROLES, Settings, get_settings

logger = logging.getLogger("govperf.api.auth")

SCORING_CORE, SUPERVISOR, ANALYST, HANDLER = ROLES
KEYS_FILE_VERSION = 1
_HASH_PREFIX = "sha256:"

_api_key_header = APIKeyHeader(name="X-API-Key", scheme_name="ApiKey", auto_error=False, description="API key")
_bearer = HTTPBearer(scheme_name="Bearer", auto_error=False, description="The API key as a bearer token")


def hash_key(key: str) -> str:
    """The stored form of a key: hex sha256 of its UTF-8 bytes."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: its role and a short, non-secret key fingerprint."""

    role: str
    key_id: str


def ensure_api_keys(path: str | os.PathLike) -> dict[str, str] | None:
    """Create one random key per role in ``path`` the first time; return them once.

    The file holds only sha256 hashes and is created with 0600 permissions. When it
    already exists nothing is changed and ``None`` is returned, so the plaintext keys
    are shown exactly once (the CLI prints them).
    """
    path = Path(path)
    if path.exists():
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    keys = {role: secrets.token_urlsafe(32) for role in ROLES}
    now = datetime.now(UTC).isoformat(timespec="seconds")
    doc = {
        "version": KEYS_FILE_VERSION,
        "keys": [{"role": role, "sha256": hash_key(key), "created_at": now} for role, key in keys.items()],
    }
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it in between
        return None
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, indent=2)
        fh.write("\n")
    os.chmod(path, 0o600)  # in case the umask removed bits we asked for
    return keys


def _read_keys_file(path: Path) -> dict[str, str]:
    """hash -> role from a keys file (empty when the file is absent)."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as err:
        logger.error("cannot read API keys file %s: %s", path, err)
        return {}
    out: dict[str, str] = {}
    for entry in doc.get("keys", []):
        role, digest = entry.get("role"), entry.get("sha256")
        if role in ROLES and isinstance(digest, str) and len(digest) == 64:
            out[digest.lower()] = role
        else:
            logger.warning("ignoring a malformed entry in %s", path)
    return out


class KeyStore:
    """The known key hashes and their roles.

    Keys come from ``settings.api_keys`` when set, otherwise from the keys file, which
    is re-read when its modification time changes (keys can be rotated without a
    restart).
    """

    def __init__(self, settings: Settings):
        self._path = Path(settings.api_keys_file)
        self._static: dict[str, str] | None = None
        if settings.api_keys is not None:
            self._static = {
                (k[len(_HASH_PREFIX) :].lower() if k.startswith(_HASH_PREFIX) else hash_key(k)): role
                for k, role in settings.api_keys.items()
            }
        self._mtime: int | None = None
        self._from_file: dict[str, str] = {}

    def _entries(self) -> dict[str, str]:
        if self._static is not None:
            return self._static
        try:
            mtime = self._path.stat().st_mtime_ns
        except FileNotFoundError:
            mtime = None
        if mtime != self._mtime:
            self._from_file = _read_keys_file(self._path) if mtime is not None else {}
            self._mtime = mtime
        return self._from_file

    @property
    def configured(self) -> bool:
        return bool(self._entries())

    def lookup(self, key: str) -> Principal | None:
        """The principal for a plaintext key, comparing every hash in constant time."""
        digest = hash_key(key)
        found: str | None = None
        for stored, role in self._entries().items():
            if hmac.compare_digest(stored, digest):
                found = role
        return Principal(role=found, key_id=digest[:12]) if found else None


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail=message,
        headers={"WWW-Authenticate": 'Bearer realm="govperf", ApiKey header="X-API-Key"'},
    )


class FailedKeyGuard:
    """Invalid keys per client address over a moving minute (the ``limits`` library, in
    this process's memory). Past the limit every request from that address is answered
    429, a valid key included, until the window moves on: guessing gains nothing."""

    def __init__(self, per_minute: int):
        self.limit = parse_limit(f"{int(per_minute)}/minute")
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    def blocked(self, client: str) -> int | None:
        """Seconds to wait when ``client`` is over the limit, else None."""
        if self.limiter.test(self.limit, "failed-key", client):
            return None
        reset = self.limiter.get_window_stats(self.limit, "failed-key", client).reset_time
        return max(1, math.ceil(reset - time.time()))

    def failed(self, client: str) -> None:
        self.limiter.hit(self.limit, "failed-key", client)


def _from_app(request: Request, name: str, build: Callable[[Settings], object]):
    """``app.state.<name>``, set by the lifespan; an app used without its lifespan builds
    it once from the current settings."""
    value = getattr(request.app.state, name, None)
    if value is None:
        value = build(request.app.dependency_overrides.get(get_settings, get_settings)())
        setattr(request.app.state, name, value)
    return value


def _failed_keys(request: Request) -> FailedKeyGuard:
    return _from_app(request, "failed_keys", lambda settings: FailedKeyGuard(settings.auth_failures_per_minute))


def _key_store(request: Request) -> KeyStore:
    return _from_app(request, "key_store", KeyStore)


def _presented(api_key: str | None, bearer: HTTPAuthorizationCredentials | None) -> str | None:
    return api_key or (bearer.credentials if bearer is not None else None)


async def has_valid_key(request: Request) -> bool:
    """Whether the request carries a known key (any role): checked by the body-size guard
    before a byte of the body is read, so strangers cannot make the server buffer bodies.
    The principal found is kept on the request, so :func:`get_principal` does not look
    the key up a second time."""
    key = _presented(await _api_key_header(request), await _bearer(request))
    principal = _key_store(request).lookup(key) if key else None
    request.state.principal = principal
    return principal is not None


def get_principal(
    request: Request,
    api_key: Annotated[str | None, Depends(_api_key_header)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """Authenticate the caller from ``X-API-Key`` or ``Authorization: Bearer``."""
    key = _presented(api_key, bearer)
    if not key:
        raise _unauthorized("missing API key: send it in the X-API-Key header")
    guard = _failed_keys(request)
    client = request.client.host if request.client else "unknown"
    wait = guard.blocked(client)
    if wait is not None:
        raise HTTPException(
            status_code=status.HTTP_429_TOO_MANY_REQUESTS,
            detail=f"too many invalid API keys from this address; retry in {wait} s",
            headers={"Retry-After": str(wait)},
        )
    principal = getattr(request.state, "principal", None) or _key_store(request).lookup(key)  # exact match
    if principal is None:
        guard.failed(client)
        raise _unauthorized("invalid API key")
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require_roles(*roles: str) -> Callable[[Principal], Principal]:
    """A dependency that lets only callers with one of ``roles`` through (else 403)."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}")
    allowed = frozenset(roles)

    def check(principal: PrincipalDep) -> Principal:
        if principal.role not in allowed:
            raise HTTPException(
                status_code=status.HTTP_403_FORBIDDEN,
                detail=f"role {principal.role!r} may not call this endpoint; allowed: {sorted(allowed)}",
            )
        return principal

    check.__name__ = f"require_{'_or_'.join(sorted(allowed))}"
    return check


# The role map, one alias per group of endpoints.
ALL_ROLES = ROLES
ALERT_WRITERS = (SCORING_CORE, SUPERVISOR)  # anomaly scoring, observations, alert status
ALERT_READERS = (SCORING_CORE, SUPERVISOR, ANALYST)  # GET alerts
PLANNERS = (SCORING_CORE, SUPERVISOR, ANALYST)  # forecasts, target risk
FEEDBACK_HANDLERS = (SCORING_CORE, HANDLER)  # classify, review queue, corrections
# webhook subscriptions make the service POST to a URL the caller chooses: service keys only
SUBSCRIBERS = (SCORING_CORE,)

AnyRole = Annotated[Principal, Depends(require_roles(*ALL_ROLES))]
AlertWriter = Annotated[Principal, Depends(require_roles(*ALERT_WRITERS))]
AlertReader = Annotated[Principal, Depends(require_roles(*ALERT_READERS))]
Planner = Annotated[Principal, Depends(require_roles(*PLANNERS))]
FeedbackHandler = Annotated[Principal, Depends(require_roles(*FEEDBACK_HANDLERS))]
Subscriber = Annotated[Principal, Depends(require_roles(*SUBSCRIBERS))]
