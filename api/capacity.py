"""Bounded concurrency for model-heavy requests.

FastAPI runs every route in one pool of 40 worker threads. Left alone, 100 clients
sending forecasts, classifications and ingests at once fill it with CPU-bound work
that shares two cores, and every request — a one-row read too — waits behind them.
Here the heavy routes take a turn from :class:`ComputeLimiter` (``compute_concurrency``
at a time, settings) before their thread starts; a request waits for its turn in the
event loop, holding no thread and no database connection, and one that waits longer than
``compute_queue_timeout_s`` is answered 503 with ``Retry-After`` (nothing was done).

Use ``dependencies=[ComputeTurn]`` on a route, or ``[LargeComputeTurn]`` on one whose
small requests are cheap (a single series scored): it queues only bodies over
``LARGE_BODY_BYTES``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from fastapi import Depends, FastAPI, Request, status
from fastapi.responses import JSONResponse

logger = logging.getLogger("govperf.api")

LARGE_BODY_BYTES = 64 * 1024


class Overloaded(Exception):
    """No turn for a model-heavy request within the queue timeout."""


class ComputeLimiter:
    def __init__(self, concurrency: int, timeout_s: float):
        self.limiter = anyio.CapacityLimiter(concurrency)
        self.timeout_s = timeout_s

    async def acquire(self, owner: object) -> None:
        with anyio.move_on_after(self.timeout_s):
            await self.limiter.acquire_on_behalf_of(owner)
            return
        raise Overloaded(f"no turn within {self.timeout_s:g} s")

    def release(self, owner: object) -> None:
        self.limiter.release_on_behalf_of(owner)

    @property
    def waiting(self) -> int:
        return self.limiter.statistics().tasks_waiting


def _limiter(request: Request, *, large_only: bool) -> ComputeLimiter | None:
    limiter: ComputeLimiter | None = getattr(request.app.state, "compute_limiter", None)
    if limiter is None or (large_only and _body_bytes(request) <= LARGE_BODY_BYTES):
        return None
    return limiter


def _body_bytes(request: Request) -> int:
    try:
        return int(request.headers.get("content-length", ""))
    except ValueError:
        return LARGE_BODY_BYTES + 1  # chunked: unknown size, count it as large


@asynccontextmanager
async def _turn(limiter) -> AsyncIterator[None]:
    """Hold one of ``limiter``'s turns for the block (none needed when it is None)."""
    if limiter is None:
        yield
        return
    owner = object()
    await limiter.acquire(owner)
    try:
        yield
    finally:
        limiter.release(owner)


async def compute_turn(request: Request) -> AsyncIterator[None]:
    async with _turn(_limiter(request, large_only=False)):
        yield


async def large_compute_turn(request: Request) -> AsyncIterator[None]:
    async with _turn(_limiter(request, large_only=True)):
        yield


ComputeTurn = Depends(compute_turn, scope="function")
LargeComputeTurn = Depends(large_compute_turn, scope="function")


async def _overloaded(request: Request, exc: Overloaded) -> JSONResponse:
    logger.warning("overloaded: %s %s waited past the compute queue timeout", request.method, request.url.path)
    return JSONResponse(
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        content={"detail": "the service is busy; the request was not started, retry it shortly"},
        headers={"Retry-After": "1"},
    )


def install_overload_handler(app: FastAPI) -> None:
    app.add_exception_handler(Overloaded, _overloaded)
