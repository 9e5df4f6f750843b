"""Prometheus metrics at ``GET /metrics``, in one :class:`CollectorRegistry` per app.

* ``http_requests_total{handler,method,status}`` and the histogram
  ``http_request_duration_seconds{handler,method,status}`` (prometheus-fastapi-instrumentator):
  ``handler`` is the route template (``/v1/alerts/{alert_id}``), ``none`` for a path that
  matches no route, so ids and query strings never become labels.
* ``govperf_alerts_created_total{kind}``: alerts stored, counted when their transaction
  commits (:func:`count_alerts_created` is called by ``insert_alerts``, the one door).
* ``govperf_model_info{capability,version}`` = 1 per loaded champion, read from
  ``app.state.models`` at each scrape (so a hot reload shows at once), and
  ``govperf_model_reloads_total{capability,outcome}``.
* ``govperf_webhook_outbox_depth``: read at each scrape from the callable given to
  :func:`register_queue_depth` (absent until one is registered).

Access: with ``GOVPERF_METRICS_PUBLIC=false`` (the default) ``/metrics`` needs an API key of
any role, as ``/v1`` does; ``true`` opens it to any scraper that can reach the port.
"""

from __future__ import annotations

import logging
from collections import Counter as Tally
from collections.abc import Callable, Iterable
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.security import HTTPAuthorizationCredentials
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from prometheus_fastapi_instrumentator import Instrumentator
from prometheus_fastapi_instrumentator import metrics as http_metrics
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from api.auth import _api_key_header, _bearer, get_principal
from api.deps import SettingsDep
from govperf_ml.vocabulary import ALERT_KINDS

logger = logging.getLogger("govperf.api.metrics")

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
_METRICS = "govperf.metrics"  # Session.info keys
_PENDING = "govperf.alerts_pending"


class AppMetrics:
    """One app's registry and its own metrics."""

    def __init__(self, models: Callable[[], dict] = dict):
        self.registry = CollectorRegistry()
        self.alerts_created = Counter(
            "govperf_alerts_created", "Alerts stored, by kind (counted at commit)", ["kind"], registry=self.registry
        )
        for kind in ALERT_KINDS:
            self.alerts_created.labels(kind)  # every kind shows from the start, at 0
        self.model_reloads = Counter(
            "govperf_model_reloads", "Champion reloads after the registry's alias moved, by outcome (swapped|failed)",
            ["capability", "outcome"], registry=self.registry,
        )
        self.queue_depth: Callable[[], float] | None = None
        self.registry.register(_StateCollector(self, models))

    def register_queue_depth(self, depth: Callable[[], float]) -> None:
        self.queue_depth = depth


class _StateCollector(Collector):
    """Gauges read from the app's state at scrape time."""

    def __init__(self, metrics: AppMetrics, models: Callable[[], dict]):
        self._metrics = metrics
        self._models = models

    def describe(self) -> Iterable:
        return []

    def collect(self) -> Iterable[GaugeMetricFamily]:
        info = GaugeMetricFamily("govperf_model_info", "Loaded champion models (1 per capability and version)",
                                 labels=["capability", "version"])
        for capability, model in sorted(self._models().items()):
            info.add_metric([capability, str(model.version)], 1)
        yield info
        depth = self._metrics.queue_depth
        if depth is None:
            return
        try:
            value = float(depth())
        except Exception as err:  # a failing callback must not break the whole scrape
            logger.warning("webhook outbox depth unavailable: %s", type(err).__name__)
            return
        yield GaugeMetricFamily("govperf_webhook_outbox_depth", "Webhook deliveries waiting in the outbox", value=value)


def register_queue_depth(app: FastAPI, depth: Callable[[], float]) -> None:
    """Report ``depth()`` as ``govperf_webhook_outbox_depth`` at every scrape (the webhook
    outbox registers its queue here; a later call replaces the earlier callable)."""
    app.state.metrics.register_queue_depth(depth)


def count_alerts_created(session: Session, alerts: Iterable) -> None:
    """Count ``alerts`` by kind once ``session`` commits (nothing if it rolls back or is
    not a session of an instrumented app)."""
    if _METRICS in session.info:
        session.info.setdefault(_PENDING, Tally()).update(a.kind for a in alerts)


def _kind(kind: str) -> str:
    return kind if kind in ALERT_KINDS else "other"


def _on_commit(session: Session) -> None:
    pending, metrics = session.info.pop(_PENDING, None), session.info.get(_METRICS)
    if pending and metrics is not None:
        for kind, n in pending.items():
            metrics.alerts_created.labels(_kind(kind)).inc(n)


def _on_end(session: Session, transaction) -> None:
    if transaction.parent is None:  # rolled back or closed without commit (commit counted first)
        session.info.pop(_PENDING, None)


def bind_sessions(factory: sessionmaker, metrics: AppMetrics) -> None:
    """Sessions from ``factory`` count the alerts they commit in ``metrics``."""
    factory.configure(info={_METRICS: metrics})
    event.listen(factory, "after_commit", _on_commit)
    event.listen(factory, "after_transaction_end", _on_end)


def metrics_access(
    request: Request,
    settings: SettingsDep,
    api_key: Annotated[str | None, Depends(_api_key_header)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Any valid key (as on ``/v1``), unless ``metrics_public``."""
    if not settings.metrics_public:
        get_principal(request, api_key, bearer)


router = APIRouter(tags=["operations"])


@router.get("/metrics", summary="Prometheus metrics", dependencies=[Depends(metrics_access)],
            response_class=Response, responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}})
def metrics(request: Request) -> Response:
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)


def install(app: FastAPI) -> AppMetrics:
    """Give ``app`` its registry (``app.state.metrics``), the HTTP instrumentation middleware
    (added where it is called, so it sees what the middleware outside it answers) and
    ``/metrics``."""
    metrics = AppMetrics(models=lambda: getattr(app.state, "models", None) or {})
    app.state.metrics = metrics
    Instrumentator(
        should_group_status_codes=False,
        should_group_untemplated=True,  # paths matching no route share handler="none"
        registry=metrics.registry,
    ).add(
        http_metrics.requests(registry=metrics.registry),
        http_metrics.latency(registry=metrics.registry, buckets=LATENCY_BUCKETS),
    ).instrument(app)
    app.include_router(router)
    return metrics
