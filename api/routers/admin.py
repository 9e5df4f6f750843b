"""Administration for demos: load the sample city into the running service."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.auth import SCORING_CORE, Principal, require_roles
from api.deps import ModelsDep, SessionDep
from api.schemas.admin import SampleCityRequest, SampleCityResult, UpsertCounts
from api.schemas.alerts import AlertPublic
from api.schemas.anomalies import ObservationsBatch
from api.services import sample as service

router = APIRouter(prefix="/v1/admin", tags=["admin"])

Admin = Annotated[Principal, Depends(require_roles(SCORING_CORE))]


def _counts(result) -> UpsertCounts:
    return UpsertCounts(inserted=result.inserted, updated=result.updated, unchanged=result.unchanged)


@router.post(
    "/sample-city",
    response_model=SampleCityResult,
    summary="Load the sample city (targets and observations up to a month) for a demo",
    description=(
        "Stores the seeded sample city's yearly targets and its monthly observations up to month "
        "`months` of its last target year, as if the service had been running: the history is "
        "scored for anomalies, the targets are assessed, and alerts are raised (open targets already "
        "red included; past-deadline targets get their final status without an alert). Idempotent "
        "and never deletes; a larger `months` later ingests the extra months. "
        "Then post the next month's observations (`GET /v1/admin/sample-city/observations?ds=<next_period>` "
        "gives the batch) to `POST /v1/observations` and list "
        "`GET /v1/alerts?kind=target_risk&after_seq=<alerts_cursor>`."
    ),
)
def load_sample_city(
    principal: Admin, session: SessionDep, models: ModelsDep, body: SampleCityRequest | None = None
) -> SampleCityResult:
    body = body or SampleCityRequest()
    loaded = service.load_sample_city(session, models, months=body.months, principal=principal)
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
    )


@router.get(
    "/sample-city/observations",
    response_model=ObservationsBatch,
    summary="The sample city's observations of one month, as a body for POST /v1/observations",
)
def sample_city_observations(
    _: Admin, ds: Annotated[date, Query(description="The month (any day of it)")]
) -> ObservationsBatch:
    return ObservationsBatch(observations=service.observations_of(service.sample_city(0), ds))
