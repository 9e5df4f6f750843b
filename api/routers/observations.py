"""Ingest indicator observations; re-score the series they touch; raise alerts."""

from __future__ import annotations

import logging

from fastapi import APIRouter

from api.auth import AlertWriter
from api.deps import AnomalyModel, SessionDep
from api.schemas.alerts import AlertPublic
from api.schemas.anomalies import ObservationsBatch, ObservationsResult
from api.services import alerts as alert_service
from api.services import observations as obs_service

router = APIRouter(prefix="/v1/observations", tags=["observations"])
logger = logging.getLogger("govperf.api")


@router.post(
    "",
    response_model=ObservationsResult,
    summary="Upsert observations, re-score their series and raise new alerts",
    description=(
        "Idempotent by (org_unit, indicator, ds): re-sending a batch changes nothing. The series "
        "whose values changed are re-scored over their stored history with the anomaly champion, "
        "and an alert is created for every anomalous point that has none yet (one per series, "
        "period and kind). All of it happens in one transaction. The series id is "
        "`<org_unit>|<indicator>`."
    ),
)
def ingest(
    principal: AlertWriter,
    body: ObservationsBatch,
    model: AnomalyModel,
    session: SessionDep,
) -> ObservationsResult:
    result = obs_service.upsert(session, body.observations)
    new_alerts = []
    if result.changed_series:
        frame, directions, meta = obs_service.history(session, result.changed_series)
        scored = model.estimator.score(frame, directions=directions)
        new_alerts = alert_service.create_alerts(
            session, scored, series_meta=meta, model_version=model.label, principal=principal
        )
    logger.info(
        "observations: %d inserted, %d updated, %d unchanged, %d series re-scored, %d new alerts",
        result.inserted,
        result.updated,
        result.unchanged,
        len(result.changed_series),
        len(new_alerts),
    )
    return ObservationsResult(
        inserted=result.inserted,
        updated=result.updated,
        unchanged=result.unchanged,
        series_rescored=len(result.changed_series),
        model_version=model.label,
        alerts=[AlertPublic.model_validate(a) for a in new_alerts],
    )
