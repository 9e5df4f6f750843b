"""Ingest indicator observations; re-score the series they touch; raise alerts."""

from __future__ import annotations

import logging

from fastapi import APIRouter

from api.capacity import ComputeTurn
from api.retry import RetryOnConflict
from api.auth import AlertWriter
from api.deps import AnomalyModel, ModelsDep, SessionDep, SettingsDep, TargetsModelIfLoaded
from api.schemas.alerts import AlertPublic
from api.schemas.anomalies import ObservationsBatch, ObservationsResult
from api.services.early_warning import run_early_warning

router = APIRouter(prefix="/v1/observations", tags=["observations"], route_class=RetryOnConflict)  # upserts: see api.retry
logger = logging.getLogger("govperf.api")


@router.post(
    "",
    dependencies=[ComputeTurn],
    response_model=ObservationsResult,
    summary="Upsert observations, re-score their series and raise new alerts",
    description=(
        "Idempotent by (org_unit, indicator, ds): re-sending a batch changes nothing. The series "
        "whose values changed are re-scored over their stored history with the anomaly champion, "
        "and an alert is created for every anomalous point that has none yet (one per series, "
        "period and kind). The stored targets of those series (`PUT /v1/targets`) are re-assessed "
        "with the targets champion, and a target whose status moves into red raises a `target_risk` "
        "alert. A stored value that changes (revised history) and a value of a series with stored "
        "history that arrives more than `GOVPERF_LATE_AFTER_DAYS` after its period ended (late "
        "submission) each raise a `data_quality` alert. Indicators whose past alerts supervisors "
        "mostly dismissed are scored with a raised threshold. All of it happens in one transaction. Without a targets model the observations are "
        "still ingested and the targets keep their last assessment. The series id is "
        "`<org_unit>|<indicator>`."
    ),
)
def ingest(
    principal: AlertWriter,
    body: ObservationsBatch,
    model: AnomalyModel,
    targets_model: TargetsModelIfLoaded,
    models: ModelsDep,
    session: SessionDep,
    settings: SettingsDep,
) -> ObservationsResult:
    done = run_early_warning(
        session, body.observations, models={**models, "anomaly": model}, principal=principal,
        late_after_days=settings.late_after_days,
    )
    stored = done.observations
    logger.info(
        "observations: %d inserted, %d updated, %d unchanged, %d series re-scored, %d targets re-assessed, "
        "%d new alerts",
        stored.inserted, stored.updated, stored.unchanged, done.scored_series, done.reassessed, len(done.alerts),
    )
    return ObservationsResult(
        inserted=stored.inserted,
        updated=stored.updated,
        unchanged=stored.unchanged,
        series_rescored=len(stored.changed_series),
        targets_reassessed=done.reassessed,
        model_version=model.label,
        targets_model_version=targets_model.label if targets_model is not None else None,
        alerts=[AlertPublic.model_validate(a) for a in done.alerts],
    )
