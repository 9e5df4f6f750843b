"""The early-warning loop, in one place.

store the values → data-quality checks of what was stored (revised, late) → re-score the
changed series with the anomaly champion (thresholds raised where supervisors mostly
dismissed past alerts; stored targets turn on the bunching check) → alerts → re-assess the
stored targets of those series, raising ``target_risk`` alerts for those turning red →
score stored forecasts of those periods against the values, raising ``model_drift``
alerts where the forecast champion has drifted from its backtest.

``POST /v1/observations`` and the sample-city loader both run :func:`run_early_warning`,
in the caller's transaction; routers only translate HTTP.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import pandas as pd
from sqlalchemy.orm import Session

from api.auth import Principal
from api.db import Alert, Target
from api.schemas.anomalies import ObservationIn
from api.services import alerts as alert_service
from api.services import forecast_accuracy
from api.services import observations as obs_service
from api.services import targets as target_service

logger = logging.getLogger("govperf.api")


@dataclass
class EarlyWarning:
    """What one pass of the loop did."""

    observations: obs_service.UpsertResult
    alerts: list[Alert] = field(default_factory=list)
    reassessed: int = 0
    scored_series: int = 0


def score_series(
    session: Session, model, frame: pd.DataFrame, directions: dict, meta: dict[str, tuple[str, str]]
) -> pd.DataFrame:
    """Score stored histories (``meta``: unique_id -> (org_unit, indicator)) with the
    anomaly champion, with the supervisors' dismissal offsets of their indicators and the
    stored targets of the series."""
    offsets = alert_service.dismissal_offsets(session, {indicator for _, indicator in meta.values()}) or None
    targets = target_service.targets_of(session, set(meta))
    return model.estimator.score(frame, directions=directions, threshold_offsets=offsets, targets=targets)


def _reassess(
    session: Session,
    model,
    targets: Sequence[Target],
    *,
    principal: Principal,
    history: pd.DataFrame | None,
    raise_alerts: bool,
    quiet_before: date | None,
) -> target_service.AssessResult:
    """Assess ``targets``; those whose deadline is before ``quiet_before`` get their
    status but raise no alert (a demo wants the risks that can still be acted on)."""
    if history is not None and not {t.unique_id for t in targets} <= set(history["unique_id"]):
        history = None  # targets of series without new values: assess() reads their history
    total = target_service.AssessResult()
    groups = [(list(targets), raise_alerts)]
    if quiet_before is not None:
        groups = [
            ([t for t in targets if t.deadline < quiet_before], False),
            ([t for t in targets if t.deadline >= quiet_before], raise_alerts),
        ]
    for group, loud in groups:
        done = target_service.assess(session, model, group, principal=principal, raise_alerts=loud, history=history)
        total.assessed += done.assessed
        total.alerts += done.alerts
        total.unassessed.update(done.unassessed)
    return total


def run_early_warning(
    session: Session,
    batch: list[ObservationIn],
    *,
    models: dict,
    principal: Principal,
    late_after_days: int | None = None,
    raise_alerts: bool = True,
    also_assess: Sequence[Target] = (),
    quiet_before: date | None = None,
) -> EarlyWarning:
    """Store ``batch`` and run the loop over the series it changed.

    Parameters
    ----------
    models
        capability -> loaded model. Without ``anomaly`` the values are stored unscored;
        without ``targets`` the affected targets keep their last assessment (and
        ``also_assess`` targets are left unassessed).
    late_after_days
        Check late submissions against this many days (None: no check).
    raise_alerts
        False stores and assesses quietly (a baseline): no scoring, no alerts.
    also_assess
        Targets to assess besides the stored targets the new values affect (new targets).
    quiet_before
        Targets with a deadline before this date raise no alert.
    """
    stored = obs_service.upsert(session, batch, late_after_days=late_after_days)
    result = EarlyWarning(observations=stored)
    forecasts_met = forecast_accuracy.record_actuals(session, stored.changed_values)
    if raise_alerts:
        result.alerts += forecast_accuracy.check_drift(session, forecasts_met, models.get("forecast"), principal)
    if raise_alerts:
        result.alerts += alert_service.create_ingest_alerts(
            session, stored.issues, principal=principal, late_after_days=late_after_days
        )
    frame = None
    anomaly = models.get("anomaly")
    if stored.changed_series and raise_alerts and anomaly is not None:
        frame, directions, meta = obs_service.history(session, stored.changed_series)
        scored = score_series(session, anomaly, frame, directions, meta)
        result.alerts += alert_service.create_alerts(
            session, scored, series_meta=meta, model_version=anomaly.label, principal=principal
        )
        result.scored_series = len(stored.changed_series)
    todo = {id(t): t for t in also_assess}
    if stored.first_changed:
        todo.update((id(t), t) for t in target_service.affected_targets(session, stored.first_changed))
    model = models.get("targets")
    if model is None:
        _targets_unassessed(list(todo.values()), also_assess)
        return result
    assessed = _reassess(session, model, list(todo.values()), principal=principal, history=frame,
                         raise_alerts=raise_alerts, quiet_before=quiet_before)
    result.reassessed = assessed.assessed
    result.alerts += assessed.alerts
    return result


def _targets_unassessed(affected: list[Target], new: Sequence[Target]) -> None:
    for target in new:
        target_service.clear_risk(target)
    if affected:
        logger.warning(
            "the targets model is not loaded: %d stored targets keep their last assessment "
            "(run `govperf train targets`)",
            len(affected),
        )
