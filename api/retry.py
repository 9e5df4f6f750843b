"""Idempotent upserts that overlap: retried, not answered 409.

Two identical upserts sent at once (a client retrying after a timeout, two workers of
the scoring core) both find the key absent and both insert; the second commit collides
on the unique key and its transaction is rolled back whole. For a route whose effect is
an upsert, running it again in a new transaction is exactly right: the rows now exist,
so the second request updates (or leaves unchanged) what the first wrote. Routers of
upserts use :class:`RetryOnConflict` as their ``route_class``; a collision that persists
after the retries is still the 409 of :mod:`api.errors`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack

from fastapi.routing import APIRoute
from sqlalchemy.exc import IntegrityError
from starlette.requests import Request
from starlette.responses import Response

logger = logging.getLogger("govperf.api")

ATTEMPTS = 3
#: where FastAPI keeps the exit stack of ``scope="function"`` dependencies (the session)
_FUNCTION_STACK = "fastapi_function_astack"


class RetryOnConflict(APIRoute):
    """Runs the route (dependencies, handler and commit) again on a unique-key collision."""

    def get_route_handler(self) -> Callable[[Request], Awaitable[Response]]:
        handler = super().get_route_handler()

        async def retrying(request: Request) -> Response:
            # Each attempt gets its own exit stack for the function-scoped dependencies, so
            # its session commits or rolls back before the next attempt starts (FastAPI
            # otherwise closes them all after the handler, once).
            scope = request.scope
            outer = scope.get(_FUNCTION_STACK)
            try:
                for attempt in range(1, ATTEMPTS + 1):
                    try:
                        async with AsyncExitStack() as stack:
                            scope[_FUNCTION_STACK] = stack
                            return await handler(request)
                    except IntegrityError:
                        if attempt == ATTEMPTS:
                            raise
                        logger.info("%s %s collided with a concurrent write; retry %d", request.method, self.path, attempt)
            finally:
                scope[_FUNCTION_STACK] = outer
            raise AssertionError("unreachable")

        return retrying
