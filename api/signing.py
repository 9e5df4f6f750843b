"""HMAC signatures of webhook bodies: how govperf-ml signs, and how a receiver checks.

The signed message is ``<timestamp>.<body>`` (the ``X-Govperf-Timestamp`` header, a dot,
then the raw request body bytes); the signature is its HMAC-SHA256 with the
subscription's secret, sent as ``X-Govperf-Signature: sha256=<hex>``. Standard library
only, so a receiver can copy this file.
"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "X-Govperf-Signature"
TIMESTAMP_HEADER = "X-Govperf-Timestamp"
EVENT_HEADER = "X-Govperf-Event"
IDEMPOTENCY_HEADER = "Idempotency-Key"
SCHEME = "sha256="
#: how far a receiver accepts a timestamp from its own clock (replay window)
DEFAULT_TOLERANCE_S = 300


def _digest(secret: str, timestamp: str, body: bytes) -> str:
    message = timestamp.encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Govperf-Signature`` value of ``body`` sent at ``timestamp`` (Unix seconds)."""
    return SCHEME + _digest(secret, timestamp, body)


def verify_signature(
    secret: str,
    timestamp: str,
    body: bytes,
    header: str,
    *,
    tolerance_s: float | None = DEFAULT_TOLERANCE_S,
    now: float | None = None,
) -> bool:
    """Whether ``header`` is this service's signature of ``body`` at ``timestamp``.

    ``timestamp`` and ``header`` are the ``X-Govperf-Timestamp`` and
    ``X-Govperf-Signature`` headers, ``body`` the raw bytes received (not re-serialised
    JSON). A timestamp more than ``tolerance_s`` seconds from ``now`` (default: the
    clock) is refused, so a captured request cannot be replayed later; ``None`` skips
    that check. The comparison takes constant time.
    """
    if not header or not header.startswith(SCHEME) or not (timestamp.isascii() and timestamp.isdigit()):
        return False
    if tolerance_s is not None and abs((time.time() if now is None else now) - int(timestamp)) > tolerance_s:
        return False
    return hmac.compare_digest(header[len(SCHEME) :], _digest(secret, timestamp, body))
