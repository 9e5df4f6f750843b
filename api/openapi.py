"""The OpenAPI document, with the error responses every operation can give.

FastAPI documents only the 422 of its own validation (as ``application/json``); the
service answers every error as problem details (:mod:`api.problem`), and some statuses
can come from any operation (a busy database, a missing key). This adds them, all
pointing at one ``Problem`` schema under ``application/problem+json``.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from api.problem import MEDIA_TYPE, TYPES

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "description": "RFC 9457 problem details; the same shape for every 4xx and 5xx.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {
            "type": "string",
            "description": "about:blank, or urn:govperf:problem:<kind> with kinds: "
            + "; ".join(f"{k} ({v})" for k, v in TYPES.items()),
        },
        "title": {"type": "string", "description": "the HTTP status phrase"},
        "status": {"type": "integer"},
        "detail": {"type": "string", "description": "what is wrong, in one sentence"},
        "instance": {"type": "string", "description": "the request path"},
        "request_id": {"type": "string", "description": "as in the X-Request-ID header and the server log"},
        "errors": {
            "type": "array",
            "description": "one entry per offending field",
            "items": {
                "type": "object",
                "required": ["loc", "msg", "type"],
                "properties": {
                    "loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
                    "msg": {"type": "string"},
                    "type": {"type": "string"},
                    "ids": {
                        "type": "array",
                        "description": "offending series ids (data-contract errors)",
                        "items": {"anyOf": [{"type": "string"}, {"type": "number"}]},
                    },
                },
            },
        },
    },
}

_DESCRIPTIONS = {
    401: "Missing or invalid API key",
    403: "The key's role may not call this operation",
    404: "Not found",
    409: "Conflicts with the current state or a concurrent change; nothing was applied",
    413: "Request body over the configured limit",
    422: "A field is missing, malformed or out of range (``errors`` names it)",
    429: "Too many invalid keys from this address (see Retry-After)",
    500: "Unexpected error (logged under the request id)",
    503: "Model not loaded, or the database busy (see Retry-After); nothing was applied",
}
_WRITES = {"post", "put", "patch", "delete"}


def _statuses(path: str, method: str, operation: dict) -> list[int]:
    statuses = [422, 500, 503]
    if path.startswith("/v1/"):
        statuses += [401, 403, 429]
    if method in _WRITES:
        statuses += [409, 413]
    if "{" in path or "404" in operation.get("responses", {}):
        statuses.append(404)
    return sorted(statuses)


def _problem_response(description: str) -> dict:
    return {
        "description": description,
        "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


def add_problem_responses(schema: dict) -> dict:
    """Document the problem responses on every operation of an OpenAPI ``schema``."""
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for code in _statuses(path, method, operation):
                declared = responses.get(str(code), {}).get("description") if code != 422 else None
                responses[str(code)] = _problem_response(declared or _DESCRIPTIONS[code])
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = PROBLEM_SCHEMA
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    return schema


def install_openapi(app: FastAPI) -> None:
    """Replace ``app.openapi`` with one that adds the problem responses (built once)."""

    def openapi() -> dict:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes,
            )
            app.openapi_schema = add_problem_responses(schema)
        return app.openapi_schema

    app.openapi = openapi
