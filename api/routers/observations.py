"""Ingest indicator observations; re-score the series they touch; raise alerts."""

from __future__ import annotations

import logging

from fastapi import APIRouter

from api.auth import AlertWriter
from api.deps import AnomalyModel, ModelsDep, SessionDep, SettingsDep
from api.schemas.alerts import AlertPublic
from api.schemas.anomalies import ObservationsBatch, ObservationsResult
from api.services import accepts
from api.services import alerts as alert_service
from api.services import observations as obs_service
from api.services import targets as target_service

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
    models: ModelsDep,
    session: SessionDep,
    settings: SettingsDep,
) -> ObservationsResult:
    result = obs_service.upsert(session, body.observations, late_after_days=settings.late_after_days)
    new_alerts = alert_service.create_ingest_alerts(
        session, result.issues, principal=principal, late_after_days=settings.late_after_days
    )
    reassessed = 0
    targets_model = models.get("targets")
    if result.changed_series:
        frame, directions, meta = obs_service.history(session, result.changed_series)
        kwargs = {}
        if accepts(model.estimator.score, "threshold_offsets"):
            offsets = alert_service.dismissal_offsets(session, {ind for _, ind in meta.values()})
            if offsets:
                kwargs["threshold_offsets"] = offsets
        if accepts(model.estimator.score, "targets"):  # stored targets turn on the bunching check
            stored = target_service.targets_of(session, result.changed_series)
            if stored is not None:
                kwargs["targets"] = stored
        scored = model.estimator.score(frame, directions=directions, **kwargs)
        new_alerts += alert_service.create_alerts(
            session, scored, series_meta=meta, model_version=model.label, principal=principal
        )
        if targets_model is not None:
            _, assessed = target_service.reassess_series(
                session, targets_model, result.first_changed, principal=principal, history=frame
            )
            reassessed = assessed.assessed
            new_alerts += assessed.alerts
        elif target_service.has_targets(session, result.changed_series):
            logger.warning(
                "the targets model is not loaded: stored targets of %d changed series keep their last "
                "assessment (run `govperf train targets`)",
                len(result.changed_series),
            )
    logger.info(
        "observations: %d inserted, %d updated, %d unchanged, %d series re-scored, %d targets re-assessed, "
        "%d new alerts",
        result.inserted,
        result.updated,
        result.unchanged,
        len(result.changed_series),
        reassessed,
        len(new_alerts),
    )
    return ObservationsResult(
        inserted=result.inserted,
        updated=result.updated,
        unchanged=result.unchanged,
        series_rescored=len(result.changed_series),
        targets_reassessed=reassessed,
        model_version=model.label,
        targets_model_version=targets_model.label if targets_model is not None else None,
        alerts=[AlertPublic.model_validate(a) for a in new_alerts],
    )
