"""The govperf-ml HTTP service.

``create_app()`` builds the FastAPI app; its lifespan migrates the database and loads the
champion models once into ``app.state.models``. Run it with ``govperf serve`` or
``uvicorn api.main:create_app --factory``.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from api.auth import FailedKeyGuard, KeyStore, has_valid_key
from api.capacity import ComputeLimiter, install_overload_handler
from api.db import make_engine, make_session_factory, migrate
from api.db.engine import writer
from api.deps import CAPABILITIES
from api.errors import install_error_handlers
from api.middleware import BodyLimit, RequestContext
from api.routers import admin, alerts, anomalies, feedback, forecasts, health, observations, targets
from api.routers import models as model_routes
from api.settings import Settings, get_settings
from govperf_ml import __version__

logger = logging.getLogger("govperf.api")

API_DESCRIPTION = """\
Early warning beside the performance scoring core: indicator anomalies and alerts,
demand forecasts, risk of missing targets, and tagging of citizen feedback.

Authenticate with an API key in `X-API-Key` (or `Authorization: Bearer <key>`).
Every model response names the `model_version` that produced it.
"""


def _load_champions(settings: Settings) -> dict:
    from govperf_ml.registry import load_champions  # MLflow is only imported when serving

    try:
        return dict(load_champions(tracking_uri=settings.mlflow_tracking_uri))
    except Exception:
        logger.exception("could not load champion models from %s", settings.mlflow_tracking_uri or "the default store")
        return {}


def _add_middleware(app: FastAPI, settings: Settings) -> None:
    """CORS (when origins are set) inside the body limit, inside the request context."""
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH"],
            allow_headers=["X-API-Key", "Authorization", "Content-Type", "X-Request-ID"],
        )
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes, authenticated=has_valid_key)
    app.add_middleware(RequestContext)  # outermost: request id and headers on every answer


def create_app(settings: Settings | None = None, *, models: dict | None = None) -> FastAPI:
    """Build the app.

    Parameters
    ----------
    settings
        Used instead of :func:`get_settings` (also for routes, via dependency override).
    models
        capability -> LoadedModel; when given, the registry is not consulted (tests).
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        current = app.dependency_overrides.get(get_settings, get_settings)()
        migrate(current.database_url)
        engine = make_engine(current.database_url, busy_timeout_s=current.db_busy_timeout_s,
                             pool_size=current.db_pool_size, max_overflow=current.db_max_overflow)
        app.state.engine = engine
        app.state.session_factory = make_session_factory(engine)
        app.state.write_session_factory = make_session_factory(writer(engine))
        app.state.compute_limiter = ComputeLimiter(current.compute_concurrency, current.compute_queue_timeout_s)
        app.state.key_store = KeyStore(current)
        app.state.failed_keys = FailedKeyGuard(current.auth_failures_per_minute)
        if not app.state.key_store.configured:
            logger.warning(
                "no API keys configured (%s is missing and GOVPERF_API_KEYS is unset): every "
                "request will be refused; `govperf serve` creates the keys",
                current.api_keys_file,
            )
        app.state.models = dict(models) if models is not None else _load_champions(current)
        # the loaded models are millions of long-lived objects: keep them out of the cyclic
        # collector's full passes, which otherwise stall every request for up to seconds
        gc.collect()
        gc.freeze()
        missing = [c for c in CAPABILITIES if c not in app.state.models]
        logger.info(
            "loaded models: %s%s",
            ", ".join(m.label for m in app.state.models.values()) or "none",
            f"; missing: {', '.join(missing)}" if missing else "",
        )
        try:
            yield
        finally:
            engine.dispose()

    app = FastAPI(
        title="govperf-ml",
        version=__version__,
        description=API_DESCRIPTION,
        lifespan=lifespan,
    )
    if settings is not None:
        app.dependency_overrides[get_settings] = lambda: settings
    _add_middleware(app, settings or get_settings())
    install_error_handlers(app)
    install_overload_handler(app)
    for module in (health, model_routes, anomalies, observations, alerts, forecasts, targets, feedback, admin):
        app.include_router(module.router)
    return app
