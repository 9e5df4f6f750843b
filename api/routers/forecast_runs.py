"""Forecast runs: the user's own series (and hierarchy) forecast, reconciled and stored."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Path, Response
from fastapi import status as http

from api.auth import Planner
from api.db import ForecastRun
from api.deps import ForecastModel, SessionDep
from api.retry import RetryOnConflict
from api.schemas.common import MAX_ID
from api.schemas.forecasts import ForecastRunPublic, ForecastRunRequest
from api.services import forecast_runs as service

router = APIRouter(prefix="/v1/forecast-runs", tags=["forecasts"], route_class=RetryOnConflict)

RunId = Annotated[int, Path(ge=1, le=MAX_ID, description="The run's id")]


@router.post(
    "",
    response_model=ForecastRunPublic,
    status_code=http.HTTP_201_CREATED,
    summary="Forecast the posted series and their hierarchy, reconcile and store them",
    description=(
        "Every node of the hierarchy (parent links, or key columns such as "
        "`[\"Concession\", \"Type\", \"ATC1\", \"ATC2\"]`) is formed from the posted bottom series, "
        "forecast by the champion with 80/95 % intervals and reconciled (`mint_shrink` by default; "
        "`ols`, `bottom_up`, or `none`), then stored under the returned run id: list them with "
        "`GET /v1/forecasts?run_id=`. A hierarchy with a cycle, an orphan, a bottom series without "
        "history or a sum that cannot be formed is a 422 naming the node. With an `Idempotency-Key` "
        "header, a repeat by the same API key returns the first run (200); the same key with another "
        "request is a 422."
    ),
    responses={200: {"description": "The run made earlier with this Idempotency-Key"}},
)
def create_run(
    principal: Planner,
    body: ForecastRunRequest,
    model: ForecastModel,
    session: SessionDep,
    response: Response,
    idempotency_key: Annotated[str | None, Header(min_length=1, max_length=200)] = None,
) -> ForecastRunPublic:
    run, created = service.create_run(session, body, model, principal, idempotency_key)
    if not created:
        response.status_code = http.HTTP_200_OK
    return service.public(run)


@router.get(
    "/{run_id}",
    response_model=ForecastRunPublic,
    summary="One forecast run",
    responses={404: {"description": "No forecast run with this id"}},
)
def get_run(_: Planner, session: SessionDep, run_id: RunId) -> ForecastRunPublic:
    run = session.get(ForecastRun, run_id)
    if run is None:
        raise HTTPException(http.HTTP_404_NOT_FOUND, f"forecast run {run_id} not found")
    return service.public(run)
