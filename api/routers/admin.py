"""Administration for demos: load the sample city into the running service."""

from __future__ import annotations

from collections import Counter
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi import status as http

from api.capacity import ComputeTurn
from api.retry import RetryOnConflict
from api.auth import SCORING_CORE, Principal, require_roles
from api.deps import ForecastModel, ModelsDep, SessionDep, SettingsDep
from api.schemas.admin import (
    SampleCityForecastsRequest,
    SampleCityForecastsResult,
    SampleCityRequest,
    SampleCityResult,
    UpsertCounts,
)
from api.schemas.alerts import AlertPublic
from api.schemas.anomalies import ObservationsBatch
from api.schemas.common import Day
from api.services import sample as service

router = APIRouter(prefix="/v1/admin", tags=["admin"], route_class=RetryOnConflict)  # upserts: see api.retry

Admin = Annotated[Principal, Depends(require_roles(SCORING_CORE))]


def _counts(result) -> UpsertCounts:
    return UpsertCounts(inserted=result.inserted, updated=result.updated, unchanged=result.unchanged)


def _forecasts(result: service.SampleForecasts | None) -> SampleCityForecastsResult | None:
    if result is None:
        return None
    return SampleCityForecastsResult(
        model_version=result.model_version,
        cutoff=result.cutoff,
        h=result.h,
        series=result.stored.series,
        inserted=result.stored.inserted,
        existing=result.stored.existing,
        reconciliation=result.reconciliation,
    )


@router.post(
    "/sample-city",
    dependencies=[ComputeTurn],
    response_model=SampleCityResult,
    summary="Load the sample city (targets and observations up to a month) for a demo",
    description=(
        "Stores the seeded sample city's yearly targets and its monthly observations up to month "
        "`months` of its last target year, as if the service had been running: the history is "
        "scored for anomalies, the targets are assessed, and alerts are raised (open targets already "
        "red included; past-deadline targets get their final status without an alert); the daily demand "
        "series are forecast 28 days ahead and stored (`GET /v1/forecasts`) when the forecast model is "
        "loaded. Idempotent "
        "and never deletes; a larger `months` later ingests the extra months. "
        "Then post the next month's observations (`GET /v1/admin/sample-city/observations?ds=<next_period>` "
        "gives the batch) to `POST /v1/observations` and list "
        "`GET /v1/alerts?kind=target_risk&after_seq=<alerts_cursor>`."
    ),
)
def load_sample_city(
    principal: Admin, session: SessionDep, models: ModelsDep, settings: SettingsDep,
    body: SampleCityRequest | None = None,
) -> SampleCityResult:
    body = body or SampleCityRequest()
    loaded = service.load_sample_city(session, models, months=body.months, principal=principal,
                                      review_threshold=settings.review_threshold)
    kinds = Counter(a.kind for a in loaded.alerts)
    return SampleCityResult(
        through=loaded.through,
        next_period=loaded.next_period,
        observations=_counts(loaded.observations),
        targets=_counts(loaded.targets),
        targets_assessed=loaded.assessed,
        target_status=loaded.status_counts(session),
        alerts_created=len(loaded.alerts),
        alerts_cursor=loaded.alert_cursor(session),
        alerts_by_kind=dict(kinds),
        models_missing=loaded.skipped,
        alerts=[AlertPublic.model_validate(a) for a in loaded.alerts if a.kind == "target_risk"],
        forecasts=_forecasts(loaded.forecasts),
        feedback_messages=loaded.feedback_messages,
    )


@router.post(
    "/sample-city/forecasts",
    dependencies=[ComputeTurn],
    response_model=SampleCityForecastsResult,
    responses={503: {"description": "The forecast model is not loaded"}},
    summary="Forecast and store every sample-city demand series",
    description=(
        "Forecasts every daily demand series of the sample city (hotline calls and service-hall "
        "applications per district, and the city totals `CITY|<channel>`) `h` days ahead from its full "
        "history with the forecast champion, with 80/95 % intervals; districts are reconciled with "
        "their city totals (OLS) so they add up, and the forecasts are stored for "
        "`GET /v1/forecasts`. Idempotent: with the same model version and cutoff nothing is "
        "replaced or duplicated (a larger `h` adds only the later days). 503 while the forecast "
        "model is not loaded."
    ),
)
def forecast_sample_city(
    _: Admin, session: SessionDep, model: ForecastModel, body: SampleCityForecastsRequest | None = None
) -> SampleCityForecastsResult:
    body = body or SampleCityForecastsRequest()
    return _forecasts(service.forecast_sample_city(session, model, h=body.h))


@router.get(
    "/sample-city/observations",
    response_model=ObservationsBatch,
    summary="The sample city's observations of one month, as a body for POST /v1/observations",
    responses={404: {"description": "The sample city has no observations for that month"}},
)
def sample_city_observations(
    _: Admin, ds: Annotated[Day, Query(description="The month (any day of it)")]
) -> ObservationsBatch:
    city = service.sample_city(0)
    observations = service.observations_of(city, ds)
    if not observations:
        first, last = city.series["ds"].min(), city.series["ds"].max()
        raise HTTPException(
            status_code=http.HTTP_404_NOT_FOUND,
            detail=f"the sample city has no observations for {ds:%Y-%m}; it covers {first:%Y-%m} to {last:%Y-%m}",
        )
    return ObservationsBatch(observations=observations)
