"""Request context: a request id, security headers, one access-log line, and a bare 500
for surprises.

The access log is one record per request naming method, route template, status, duration
and the model versions that answered, as fields (JSON lines under ``govperf serve``, see
:mod:`api.log_config`): never query strings or bodies, which may carry personal data.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.log_config import REQUEST_ID
from api.problem import MEDIA_TYPE, problem_bytes

access_log = logging.getLogger("govperf.api.access")
error_log = logging.getLogger("govperf.api")

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


#: sent with every response unless the route set its own value
SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),  # no content sniffing of JSON or CSV into HTML
    (b"cache-control", b"no-store"),  # scores, alerts and messages stay out of shared caches
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)


def _with_security_headers(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    present = {name.lower() for name, _ in headers}
    return headers + [(name, value) for name, value in SECURITY_HEADERS if name not in present]


class RequestContext:
    """Pure ASGI middleware (works with streaming responses and background tasks)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        token = REQUEST_ID.set(request_id)  # every log record of this request carries the id
        started = time.perf_counter()
        status_code = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status_code, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status_code = message["status"]
                headers = _with_security_headers(list(message.get("headers", [])))
                headers.append((b"x-request-id", request_id.encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            error_log.error(
                "unhandled %s on %s %s (request %s)",
                type(exc).__name__,
                scope.get("method"),
                scope.get("path"),
                request_id,
                exc_info=True,
            )
            if response_started:
                raise
            body = problem_bytes(
                500, "internal server error", slug="internal-error", instance=scope.get("path"), request_id=request_id
            )
            await _send_problem(send_with_id, 500, body)
        finally:
            fields = access_fields(scope, status_code, started, request_id)
            access_log.info("%s %s %s", fields["method"], fields["route"], status_code, extra=fields)
            REQUEST_ID.reset(token)


def access_fields(scope: Scope, status_code: int, started: float, request_id: str) -> dict:
    """The access line's fields: the route's template (``/v1/alerts/{alert_id}``), never the
    query string or the body, which may carry personal data; the model versions that
    answered (set by :func:`api.deps.model_dep`)."""
    route = getattr(scope.get("route"), "path", None) or scope.get("path")
    return {
        "event": "request",
        "request_id": request_id,
        "method": scope.get("method"),
        "route": route,
        "status": status_code,
        "ms": round((time.perf_counter() - started) * 1000, 1),
        "model_versions": list(scope.get("state", {}).get("model_versions", ())),
    }


class BodyLimit:
    """Bodies are read only for callers with a valid key, and only up to ``max_bytes``.

    A request under ``/v1`` without a valid key reaches the app with an empty body, so the
    app's own authentication answers 401 without the body ever being read; a body over
    the limit (by its Content-Length, or counted as it streams) is answered 413 at once.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int, authenticated: Callable[[Request], Awaitable[bool]]):
        self.app = app
        self.max_bytes = max_bytes
        self.authenticated = authenticated

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        if scope["path"].startswith("/v1/") and not await self.authenticated(Request(scope)):
            await self.app(scope, _empty_body, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._too_large(scope, send)
            return
        messages, size = [], 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > self.max_bytes:
                await self._too_large(scope, send)
                return
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(messages, receive), send)

    async def _too_large(self, scope: Scope, send: Send) -> None:
        body = problem_bytes(
            413, f"request body too large: the limit is {self.max_bytes} bytes", slug="body-too-large",
            instance=scope.get("path"), request_id=scope.get("state", {}).get("request_id"),
        )
        await _send_problem(send, 413, body)


async def _send_problem(send: Send, status: int, body: bytes) -> None:
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", MEDIA_TYPE.encode()), (b"content-length", str(len(body)).encode())],
    })
    await send({"type": "http.response.body", "body": body})


async def _empty_body() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replayed() -> Message:
        return pending.pop(0) if pending else await receive()

    return replayed
