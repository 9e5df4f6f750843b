"""Liveness and readiness probes (no authentication)."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from api.deps import CAPABILITIES, ModelsDep

router = APIRouter(tags=["health"])
logger = logging.getLogger("govperf.api")


@router.get("/healthz", summary="Liveness: the process answers")
async def healthz() -> dict[str, str]:  # on the event loop: it answers while every worker thread is busy
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Readiness: all four models are loaded and the database answers",
    responses={503: {"description": "Not ready; the body lists what is missing"}},
)
def readyz(request: Request, models: ModelsDep) -> JSONResponse:
    database = "ok"
    try:
        with request.app.state.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as err:
        logger.warning("readiness: database check failed: %s", type(err).__name__)
        database = "unavailable"
    missing = [c for c in CAPABILITIES if c not in models]
    ready = database == "ok" and not missing
    body = {
        "status": "ready" if ready else "not_ready",
        "database": database,
        "models": {c: (models[c].label if c in models else None) for c in CAPABILITIES},
        "missing": missing + ([] if database == "ok" else ["database"]),
    }
    return JSONResponse(status_code=200 if ready else 503, content=body)
