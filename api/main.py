"""The govperf-ml HTTP service.

``create_app()`` builds the FastAPI app; its lifespan migrates the database and loads the
champion models once into ``app.state.models``. Run it with ``govperf serve`` or
``uvicorn api.main:create_app --factory``.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi_offline import FastAPIOffline

from api import console
from api.auth import FailedKeyGuard, KeyStore, has_valid_key
from api.capacity import ComputeLimiter, install_overload_handler
from api.db import make_engine, make_session_factory, migrate
from api.db.engine import writer
from api.delivery import start_delivery
from api.deps import CAPABILITIES
from api.errors import install_error_handlers
from api.metrics import bind_sessions, register_queue_depth
from api.metrics import install as install_metrics
from api.middleware import BodyLimit, RequestContext
from api.openapi import install_openapi
from api.routers import (
    admin,
    alerts,
    anomalies,
    feedback,
    forecast_runs,
    forecasts,
    health,
    observations,
    reports,
    subscriptions,
    targets,
)
from api.routers import models as model_routes
from api.services.model_reload import ModelReloader
from api.services.webhooks import outbox_depth
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
    """CORS (when origins are set) inside the body limit, inside the Prometheus
    instrumentation (so 413s are counted), inside the request context."""
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH"],
            allow_headers=["X-API-Key", "Authorization", "Content-Type", "X-Request-ID"],
        )
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes, authenticated=has_valid_key)
    install_metrics(app)  # app.state.metrics, the middleware and GET /metrics
    app.add_middleware(RequestContext)  # outermost: request id and headers on every answer


def _start_reloading(app: FastAPI, settings: Settings, watch: bool) -> asyncio.Task | None:
    """``app.state.model_reloader`` (None when not ``watch``) and its periodic task."""
    reloader = ModelReloader(app.state, settings.mlflow_tracking_uri, app.state.metrics) if watch else None
    app.state.model_reloader = reloader
    if reloader is None or settings.model_reload_interval_s <= 0:
        return None
    return asyncio.create_task(reloader.run_every(settings.model_reload_interval_s), name="model-reload")


async def _stop(task: asyncio.Task | None) -> None:
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def _open_database(app: FastAPI, settings: Settings):
    """Migrate, then the engine and the session factories (reads; writes, which take turns
    on SQLite) and the compute turns of model-heavy requests, on ``app.state``."""
    migrate(settings.database_url)
    engine = make_engine(settings.database_url, busy_timeout_s=settings.db_busy_timeout_s,
                         pool_size=settings.db_pool_size, max_overflow=settings.db_max_overflow)
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    app.state.write_session_factory = make_session_factory(writer(engine))
    for factory in (app.state.session_factory, app.state.write_session_factory):
        bind_sessions(factory, app.state.metrics)  # alerts counted when their transaction commits
    app.state.compute_limiter = ComputeLimiter(settings.compute_concurrency, settings.compute_queue_timeout_s)
    return engine


def _serve_models(app: FastAPI, models: dict) -> None:
    app.state.models = models
    # the loaded models are millions of long-lived objects: keep them out of the cyclic
    # collector's full passes, which otherwise stall every request for up to seconds
    gc.collect()
    gc.freeze()
    missing = [c for c in CAPABILITIES if c not in models]
    logger.info(
        "loaded models: %s%s",
        ", ".join(m.label for m in models.values()) or "none",
        f"; missing: {', '.join(missing)}" if missing else "",
    )


def create_app(settings: Settings | None = None, *, models: dict | None = None, reload: bool | None = None) -> FastAPI:
    """Build the app.

    Parameters
    ----------
    settings
        Used instead of :func:`get_settings` (also for routes, via dependency override).
    models
        capability -> LoadedModel; when given, the registry is not consulted (tests).
    reload
        Follow the registry's champion aliases (every ``model_reload_interval_s`` and on
        ``POST /v1/admin/models/reload``); default: when ``models`` is not given.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        current = app.dependency_overrides.get(get_settings, get_settings)()
        engine = _open_database(app, current)
        app.state.key_store = KeyStore(current)
        app.state.failed_keys = FailedKeyGuard(current.auth_failures_per_minute)
        if not app.state.key_store.configured:
            logger.warning(
                "no API keys configured (%s is missing and GOVPERF_API_KEYS is unset): every "
                "request will be refused; `govperf serve` creates the keys",
                current.api_keys_file,
            )
        _serve_models(app, dict(models) if models is not None else _load_champions(current))
        app.state.webhooks = start_delivery(app.state.session_factory, current, app.state.write_session_factory)
        register_queue_depth(app, partial(outbox_depth, app.state.session_factory))
        reloading = _start_reloading(app, current, models is None if reload is None else reload)
        try:
            yield
        finally:
            await _stop(reloading)
            if app.state.webhooks is not None:
                app.state.webhooks.stop()
            engine.dispose()

    # /docs and /redoc served from files in the installed package: no CDN (offline intranets)
    app = FastAPIOffline(
        title="govperf-ml",
        version=__version__,
        description=API_DESCRIPTION,
        lifespan=lifespan,
        static_url="/docs-static",
    )
    if settings is not None:
        app.dependency_overrides[get_settings] = lambda: settings
    _add_middleware(app, settings or get_settings())
    install_error_handlers(app)
    install_openapi(app)
    install_overload_handler(app)
    app.include_router(model_routes.admin_router)
    for module in (
        health, model_routes, anomalies, observations, alerts, subscriptions, forecasts, forecast_runs, targets,
        feedback, reports, admin,
    ):
        app.include_router(module.router)
    console.install(app)  # the web console: /console pages and static files
    return app
