"""Stored targets: idempotent upsert, assessment against stored observations, red alerts.

A target's latest assessment lives on its row (``Target.risk_*``). It is renewed when the
target is created or changed (``PUT /v1/targets``) and when new or changed observations
of its series arrive (``POST /v1/observations``). A target whose status moves into red
(from green, amber or no assessment) raises a ``target_risk`` alert through
:func:`api.services.alerts.create_target_alerts`. Everything runs in the caller's
transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

import pandas as pd
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from api.auth import Principal
from api.db import RISK_STATUSES, Target
from api.db.models import utcnow
from api.schemas.common import RISK, finite, finite_fields, period, py_datetime, text
from api.schemas.targets import TargetPublic, TargetRiskState, TargetUpsert, targets_frame
from api.services import alerts as alert_service
from api.services import in_chunks
from api.services import observations as obs_service
from api.services import target_drift
from govperf_ml.contracts import DataContractError, short, validate_targets

logger = logging.getLogger("govperf.api")

NO_OBSERVATIONS = "no observations of the series yet"
DEFINITION = ("unique_id", "org_unit", "indicator", "target", "start", "deadline", "direction", "aggregation")
RISK_COLUMNS = (
    "risk_status",
    "p_miss",
    "projected",
    "projected_lo",
    "projected_hi",
    "required_rate",
    "current_rate",
    "current_value",
    "as_of",
    "reason_en",
    "reason_zh",
    "model_version",
    "assessed_at",
)


# ---------------------------------------------------------------------------------------
# Upsert
# ---------------------------------------------------------------------------------------
@dataclass
class UpsertResult:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    targets: list[Target] = field(default_factory=list)  # the batch, in request order
    changed: list[Target] = field(default_factory=list)  # new or changed: to be assessed


def _definitions(batch: Sequence[TargetUpsert]) -> list[dict]:
    """The batch as validated target definitions (library defaults for target_id and start).

    Raises DataContractError (-> 422) for duplicate target_ids or a start not before
    the deadline, naming the offending targets.
    """
    frame = targets_frame(batch)
    dupes = sorted(frame.loc[frame["target_id"].duplicated(), "target_id"].unique())
    if dupes:
        raise DataContractError(
            f"targets: the same target_id is sent twice: {short(dupes)}", field="target_id", ids=dupes
        )
    valid = validate_targets(frame)
    return [
        {
            "target_id": row["target_id"],
            "unique_id": t.unique_id,
            "org_unit": t.org_unit,
            "indicator": t.indicator,
            "target": float(t.target),
            "start": pd.Timestamp(row["start"]).date(),
            "deadline": t.deadline,
            "direction": t.direction,
            "aggregation": t.aggregation,
        }
        for t, row in zip(batch, valid.to_dict("records"), strict=True)
    ]


def upsert(session: Session, batch: Sequence[TargetUpsert]) -> UpsertResult:
    """Insert new targets and update changed ones, by ``target_id``.

    Re-sending a batch changes nothing. New and changed targets are returned in
    ``changed``: the caller assesses them (:func:`assess`) or clears their risk
    (:func:`clear_risk`). A changed target keeps its old status until then, so that a
    target that was red and stays red after an edit raises no second alert.
    """
    rows = _definitions(batch)
    ids = [r["target_id"] for r in rows]
    existing: dict[str, Target] = {}
    for chunk in in_chunks(ids, 500):
        found = session.execute(select(Target).where(Target.target_id.in_(chunk))).scalars()
        existing.update((t.target_id, t) for t in found)
    result = UpsertResult()
    for row in rows:
        current = existing.get(row["target_id"])
        if current is None:
            current = Target(**row)
            session.add(current)
            result.inserted += 1
            result.changed.append(current)
        elif all(getattr(current, k) == row[k] for k in DEFINITION):
            result.unchanged += 1
        else:
            for k in DEFINITION:
                setattr(current, k, row[k])
            current.updated_at = utcnow()
            result.updated += 1
            result.changed.append(current)
            target_drift.forget(session, [current])
        result.targets.append(current)
    session.flush()
    return result


def clear_risk(target: Target) -> None:
    for column in RISK_COLUMNS:
        setattr(target, column, None)


# ---------------------------------------------------------------------------------------
# Assessment
# ---------------------------------------------------------------------------------------
@dataclass
class AssessResult:
    assessed: int = 0
    unassessed: dict[str, str] = field(default_factory=dict)  # target_id -> why
    alerts: list = field(default_factory=list)
    decided: bool = False  # an outcome is new or changed (the calibration watch looks again)


def _run_model(estimator, history: pd.DataFrame, targets: pd.DataFrame) -> tuple[list[dict], dict[str, str]]:
    """``estimator.assess`` over all targets at once; if the model rejects the batch, once
    per series, so one bad series does not hold back the others. Returns the output rows
    and, per rejected target, the model's message."""
    try:
        return estimator.assess(history, targets).to_dict("records"), {}
    except DataContractError as err:
        if targets["unique_id"].nunique() == 1:
            return [], dict.fromkeys(targets["target_id"], str(err))
    rows: list[dict] = []
    rejected: dict[str, str] = {}
    by_series = dict(tuple(history.groupby("unique_id", sort=False)))
    for unique_id, group in targets.groupby("unique_id", sort=True):
        try:
            rows += estimator.assess(by_series[unique_id], group.reset_index(drop=True)).to_dict("records")
        except DataContractError as err:
            rejected.update(dict.fromkeys(group["target_id"], str(err)))
    return rows, rejected


def _last_period(periods: list[pd.Timestamp], deadline: date) -> datetime:
    """The last observed period up to the deadline (the series' last one if none is): the
    period an assessment is as of when the model does not say."""
    cap = pd.Timestamp(deadline)
    before = [p for p in periods if p <= cap]
    return py_datetime(before[-1] if before else periods[-1])


def _as_of(value, fallback: datetime | None) -> datetime | None:
    if value is None or value is pd.NaT:
        return fallback
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        return fallback
    return fallback if pd.isna(ts) else period(py_datetime(ts))


def _observed_periods(frame: pd.DataFrame) -> dict[str, list]:
    seen = frame.dropna(subset=["y"])
    return {uid: g.sort_values().tolist() for uid, g in seen.groupby("unique_id")["ds"]}


def _store_risk(t: Target, row: dict, status: str, as_of: datetime | None, model_version: str, now: datetime) -> None:
    """Write one assessment onto its target row."""
    t.risk_status = status
    for name, value in finite_fields(row, {**RISK, "current_value": "current"}).items():
        setattr(t, name, value)
    t.as_of = as_of
    t.reason_en = text(row.get("reason_en"))
    t.reason_zh = text(row.get("reason_zh"))
    t.model_version = model_version
    t.assessed_at = now


def _crossing(t: Target) -> alert_service.TargetCrossing:
    return alert_service.TargetCrossing(
        target_id=t.target_id,
        unique_id=t.unique_id,
        org_unit=t.org_unit,
        indicator=t.indicator,
        ds=t.as_of,
        p_miss=t.p_miss,
        current=t.current_value,
        projected=t.projected,
        projected_lo=t.projected_lo,
        projected_hi=t.projected_hi,
        reason_en=t.reason_en,
        reason_zh=t.reason_zh,
    )


def _why_not(row: dict | None, status: str, rejected: dict[str, str], target_id: str) -> str:
    if target_id in rejected:
        return rejected[target_id]
    return "the model returned no assessment" if row is None else f"the model returned status {status!r}"


def assess(
    session: Session,
    model,
    targets: Sequence[Target],
    *,
    principal: Principal,
    raise_alerts: bool = True,
    history: pd.DataFrame | None = None,
) -> AssessResult:
    """Assess ``targets`` with ``model`` against the stored observations of their series.

    Stores each target's new risk and, with ``raise_alerts``, raises a ``target_risk``
    alert for every target whose status moves into red. Each assessment is kept and
    targets whose deadline the values cover are decided (:mod:`api.services.target_drift`);
    a new outcome, with ``raise_alerts``, runs the calibration watch. Targets without observations,
    or that the model rejects (a data-contract error), keep no risk and are reported in
    ``unassessed``; other model errors propagate (the request is rolled back).
    ``history`` may hand over the stored history of (at least) these series when the
    caller has already read it.
    """
    result = AssessResult()
    if not targets:
        return result
    frame = history if history is not None else obs_service.history(session, {t.unique_id for t in targets})[0]
    periods = _observed_periods(frame)
    todo = [t for t in targets if t.unique_id in periods]
    for t in targets:
        if t.unique_id not in periods:
            result.unassessed[t.target_id] = NO_OBSERVATIONS
            clear_risk(t)
    if not todo:
        return result
    frame = frame[frame["unique_id"].isin({t.unique_id for t in todo})].reset_index(drop=True)
    rows, rejected = _run_model(model.estimator, frame, targets_frame(todo))
    stored = _store_rows(todo, rows, rejected, periods, model.label, result.unassessed)
    result.assessed = len(stored)
    declined = {k: v for k, v in result.unassessed.items() if v != NO_OBSERVATIONS}
    if declined:
        logger.warning("targets not assessed: %s", short([f"{k}: {v}" for k, v in declined.items()]))
    session.flush()
    result.decided = target_drift.record(session, [t for t, _ in stored], frame)
    crossings = [_crossing(t) for t, previous in stored if raise_alerts and t.risk_status == "red" and previous != "red"]
    result.alerts = alert_service.create_target_alerts(
        session, crossings, model_version=model.label, principal=principal
    )
    if raise_alerts and result.decided:
        result.alerts += target_drift.check(session, model, principal)
    return result


def _store_rows(todo: Sequence[Target], rows: list[dict], rejected: dict[str, str], periods: dict,
                model_version: str, unassessed: dict[str, str]) -> list[tuple[Target, str | None]]:
    """Write each target's model row onto it (a target without a usable row loses its risk
    and is reported in ``unassessed``); returns the assessed targets with their previous status."""
    by_id = {str(r.get("target_id")): r for r in rows}
    now = utcnow()
    stored = []
    for t in todo:
        row = by_id.get(t.target_id)
        status = text(row.get("status")).lower() if row is not None else ""
        if row is None or status not in RISK_STATUSES:
            unassessed[t.target_id] = _why_not(row, status, rejected, t.target_id)
            clear_risk(t)
            continue
        previous = t.risk_status
        as_of = _as_of(row.get("as_of"), _last_period(periods[t.unique_id], t.deadline))
        _store_risk(t, row, status, as_of, model_version, now)
        stored.append((t, previous))
    return stored


def affected_targets(session: Session, first_changed: dict[str, datetime]) -> list[Target]:
    """Stored targets of the changed series whose assessment the change can move: those
    whose deadline is not before the series' earliest changed period (values after a
    deadline are never seen by the assessment)."""
    ids = sorted(first_changed)
    found: list[Target] = []
    for chunk in in_chunks(ids, 500):
        stmt = select(Target).where(Target.unique_id.in_(chunk)).order_by(Target.id).with_for_update()
        found.extend(session.execute(stmt).scalars())
    return [t for t in found if first_changed[t.unique_id].date() <= t.deadline]


def targets_of(session: Session, unique_ids: set[str]) -> pd.DataFrame | None:
    """Every stored target of ``unique_ids`` as the library's targets frame (None if none)."""
    ids = sorted(unique_ids)
    found: list[Target] = []
    for chunk in in_chunks(ids, 500):
        found.extend(session.execute(select(Target).where(Target.unique_id.in_(chunk))).scalars())
    return targets_frame(found) if found else None


# ---------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------
def targets_query(
    *,
    status: str | None = None,
    org_unit: str | None = None,
    indicator: str | None = None,
    unique_id: str | None = None,
    deadline_from: date | None = None,
    deadline_to: date | None = None,
) -> Select:
    stmt = select(Target)
    if status == "unassessed":
        stmt = stmt.where(Target.risk_status.is_(None))
    elif status is not None:
        stmt = stmt.where(Target.risk_status == status)
    for column, value in ((Target.org_unit, org_unit), (Target.indicator, indicator), (Target.unique_id, unique_id)):
        if value is not None:
            stmt = stmt.where(column == value)
    if deadline_from is not None:
        stmt = stmt.where(Target.deadline >= deadline_from)
    if deadline_to is not None:
        stmt = stmt.where(Target.deadline <= deadline_to)
    return stmt


def public(target: Target) -> TargetPublic:
    risk = None
    if target.risk_status is not None:
        risk = TargetRiskState(
            status=target.risk_status,
            p_miss=finite(target.p_miss),
            projected=finite(target.projected),
            projected_lo=finite(target.projected_lo),
            projected_hi=finite(target.projected_hi),
            required_rate=finite(target.required_rate),
            current_rate=finite(target.current_rate),
            current=finite(target.current_value),
            as_of=target.as_of,
            reason_en=target.reason_en or "",
            reason_zh=target.reason_zh or "",
            model_version=target.model_version or "",
            assessed_at=target.assessed_at,
        )
    return TargetPublic(
        target_id=target.target_id,
        unique_id=target.unique_id,
        org_unit=target.org_unit,
        indicator=target.indicator,
        target=target.target,
        start=target.start,
        deadline=target.deadline,
        direction=target.direction,
        aggregation=target.aggregation,
        created_at=target.created_at,
        updated_at=target.updated_at,
        risk=risk,
    )
