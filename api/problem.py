"""Error bodies as RFC 9457 problem details (``application/problem+json``).

Every 4xx and 5xx the service sends has this one shape, from the route handlers, the
middleware (413, 500) and the framework (404 for an unknown path, 405)::

    {
      "type": "urn:govperf:problem:validation-error",
      "title": "Unprocessable Content",
      "status": 422,
      "detail": "body.h: Input should be greater than or equal to 1",
      "instance": "/v1/forecasts",
      "request_id": "5f0c…",
      "errors": [{"loc": ["body", "h"], "msg": "…", "type": "greater_than_equal"}]
    }

``type`` names the kind of problem (``about:blank`` when the status says it all),
``errors`` lists every offending field (and for data-contract errors the offending
series ids), ``request_id`` matches the ``X-Request-ID`` header and the server log.
Submitted values are never echoed: they may be personal data.

This module is plain Python (no FastAPI) so that the ASGI middleware can use it too.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

MEDIA_TYPE = "application/problem+json"
_PREFIX = "urn:govperf:problem:"

#: problem type slug -> what it means (also listed in the README)
TYPES = {
    "validation-error": "a field of the request is missing, malformed or out of range",
    "data-contract": "the data break a rule of the data contract (duplicates, too-short series, ...)",
    "model-unavailable": "the champion model for the capability is not loaded",
    "conflict": "the request conflicts with the current state or a concurrent change",
    "database-busy": "the database stayed busy past its timeout; nothing was applied",
    "body-too-large": "the request body is over the configured limit",
    "too-many-failed-keys": "too many invalid API keys from this address",
    "internal-error": "an unexpected error; the server log has it under the request id",
}


def problem_type(slug: str | None) -> str:
    if slug is None:
        return "about:blank"
    if slug not in TYPES:
        raise ValueError(f"unknown problem type {slug!r}")
    return _PREFIX + slug


#: RFC 9110's names where Python's http module still has the older ones
_PHRASES = {413: "Content Too Large", 422: "Unprocessable Content"}


def title(status: int) -> str:
    if status in _PHRASES:
        return _PHRASES[status]
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def problem(
    status: int,
    detail: str,
    *,
    slug: str | None = None,
    instance: str | None = None,
    request_id: str | None = None,
    errors: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The problem-details object for one error."""
    body: dict[str, Any] = {
        "type": problem_type(slug),
        "title": title(status),
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    if request_id:
        body["request_id"] = request_id
    if errors is not None:
        body["errors"] = errors
    return body


def problem_bytes(status: int, detail: str, **kwargs: Any) -> bytes:
    return json.dumps(problem(status, detail, **kwargs), ensure_ascii=False).encode()


def summary(errors: list[dict[str, Any]]) -> str:
    """One sentence for ``detail``: the first error with its location, and how many more."""
    if not errors:
        return "the request is invalid"
    first = errors[0]
    loc = ".".join(str(part) for part in first.get("loc", ()))
    text = f"{loc}: {first.get('msg', 'invalid')}" if loc else str(first.get("msg", "invalid"))
    more = len(errors) - 1
    return text + (f" (and {more} more error{'s' if more > 1 else ''})" if more else "")
