"""Typed dependencies shared by the routers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated, Any, Protocol

from fastapi import Depends, Query, Request
from sqlalchemy.orm import Session

from api.errors import ModelUnavailable
from api.schemas.common import MAX_INT
from api.settings import Settings, get_settings
from govperf_ml.vocabulary import CAPABILITIES



class ServedModel(Protocol):
    """What the service needs from ``govperf_ml.registry.LoadedModel``."""

    capability: str
    name: str
    version: str
    run_id: str
    estimator: Any
    metrics: dict

    @property
    def label(self) -> str: ...


SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_session(request: Request) -> Iterator[Session]:
    """One request, one transaction.

    Commits when the route returns and rolls back on any exception, before the
    response is sent (``scope="function"``), so a failed commit is never answered
    with a success and nothing is ever half-written. Requests other than GET/HEAD get a
    writer session: on SQLite their transactions take turns (``api.db.engine.writer``).
    """
    state = request.app.state
    reads = request.method in ("GET", "HEAD", "OPTIONS")
    factory = state.session_factory if reads else getattr(state, "write_session_factory", state.session_factory)
    with factory() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def get_models(request: Request) -> dict[str, ServedModel]:
    return getattr(request.app.state, "models", None) or {}


def model_dep(capability: str, *, required: bool = True) -> Callable[[Request], ServedModel | None]:
    """A dependency returning the loaded champion for ``capability`` (else 503, or None
    when not ``required``); the access log names the versions that answered."""
    if capability not in CAPABILITIES:
        raise ValueError(f"unknown capability {capability!r}")

    def dependency(request: Request) -> ServedModel | None:
        model = get_models(request).get(capability)
        if model is None:
            if not required:
                return None
            raise ModelUnavailable(capability)
        served = request.scope.setdefault("state", {}).setdefault("model_versions", [])
        served.append(model.label)  # named in the access log
        return model

    dependency.__name__ = f"{capability}_model"
    return dependency


AnomalyModel = Annotated[ServedModel, Depends(model_dep("anomaly"))]
ForecastModel = Annotated[ServedModel, Depends(model_dep("forecast"))]
TargetsModel = Annotated[ServedModel, Depends(model_dep("targets"))]
FeedbackModel = Annotated[ServedModel, Depends(model_dep("feedback"))]
TargetsModelIfLoaded = Annotated[ServedModel | None, Depends(model_dep("targets", required=False))]
ModelsDep = Annotated[dict[str, ServedModel], Depends(get_models)]


class Page:
    """``limit``/``offset`` query parameters."""

    def __init__(
        self,
        limit: Annotated[int, Query(ge=1, le=1000, description="Page size")] = 100,
        offset: Annotated[int, Query(ge=0, le=MAX_INT, description="Rows to skip")] = 0,
    ):
        self.limit = limit
        self.offset = offset


PageDep = Annotated[Page, Depends()]
