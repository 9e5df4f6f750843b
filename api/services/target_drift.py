"""The targets' calibration watch: do targets of each colour still miss as often as the
backtest said?

Every assessment of an open target is kept (``target_assessments``, one row per target,
period and model version). When the series' values cover a target's deadline, the target
is *decided*: its ``achieved`` value and ``missed`` are written on its row (and rewritten
if values are revised). The served model's assessments of decided targets, taken at the
points of the period the backtest used (:func:`govperf_ml.targets.drift.live_episodes`),
are compared per colour with the backtest's miss rate
(:func:`govperf_ml.targets.drift.find_status_drift`); a colour that drifted raises one
``model_drift`` alert (series id ``targets model|<colour>``), unless one is still active.
Everything runs in the caller's transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import pandas as pd
from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from api.auth import Principal
from api.db import Alert, Target, TargetAssessment
from api.db.models import utcnow
from api.schemas.targets import targets_frame
from api.services import in_chunks
from api.services.alerts import ACTIVE, insert_alerts
from govperf_ml.targets.drift import StatusDriftRule, find_status_drift, live_episodes
from govperf_ml.targets.episodes import aggregate_outcome

logger = logging.getLogger("govperf.api")

MODEL_DRIFT = "model_drift"
ORG_UNIT = "targets model"  # the drift is the model's, not one series': its alerts' org unit


def forget(session: Session, targets: Sequence[Target]) -> None:
    """A target whose definition changed starts again: its past assessments and outcome
    were of another target."""
    ids = [t.target_id for t in targets]
    for chunk in in_chunks(ids, 500):
        session.execute(delete(TargetAssessment).where(TargetAssessment.target_id.in_(chunk)))
    for t in targets:
        t.achieved = t.missed = t.decided_at = None


def _upsert(session: Session, rows: list[dict]) -> None:
    dialect = {"postgresql": postgresql, "sqlite": sqlite}[session.get_bind().dialect.name]
    for chunk in in_chunks(rows, 500):
        stmt = dialect.insert(TargetAssessment).values(chunk)
        session.execute(stmt.on_conflict_do_update(
            index_elements=["target_id", "as_of", "model_version"],
            set_={c: stmt.excluded[c] for c in ("status", "p_miss", "assessed_at")},
        ))


def record(session: Session, targets: Sequence[Target], history: pd.DataFrame) -> bool:
    """Keep the new assessments of these (just assessed) targets and decide those whose
    deadline the values now cover. Returns whether any outcome is new or changed."""
    outcome = aggregate_outcome(history, targets_frame(targets)).set_index("target_id")
    now, rows, changed = utcnow(), [], False
    for t in targets:
        if t.target_id in outcome.index:
            achieved, missed = float(outcome.at[t.target_id, "achieved"]), bool(outcome.at[t.target_id, "missed"])
            if (t.achieved, t.missed) != (achieved, missed):
                t.achieved, t.missed, t.decided_at, changed = achieved, missed, now, True
            continue
        t.achieved = t.missed = t.decided_at = None  # a withdrawn value reopens it
        if t.risk_status is not None and t.as_of is not None:
            rows.append({"target_id": t.target_id, "as_of": t.as_of, "status": t.risk_status,
                         "p_miss": t.p_miss, "model_version": t.model_version, "assessed_at": now})
    if rows:
        _upsert(session, rows)
    return changed


def decided_assessments(session: Session, model_version: str) -> pd.DataFrame:
    """The served model's assessments of decided targets, with the targets' periods."""
    rows = session.execute(
        select(TargetAssessment.target_id, Target.start, Target.deadline, TargetAssessment.as_of,
               TargetAssessment.status, TargetAssessment.p_miss, Target.missed)
        .join(Target, Target.target_id == TargetAssessment.target_id)
        .where(TargetAssessment.model_version == model_version, Target.missed.is_not(None))
    ).all()
    return pd.DataFrame(rows, columns=["target_id", "start", "deadline", "as_of", "status", "p_miss", "missed"])


def live_sample(session: Session, model_version: str) -> pd.DataFrame:
    """The served model's assessments of decided targets, taken as the backtest takes them."""
    return live_episodes(decided_assessments(session, model_version))


def live_by_status(session: Session, model_version: str) -> dict[str, dict]:
    """Observed miss rate per colour of the served model's decided targets (the model card)."""
    ep = live_sample(session, model_version)
    out = {}
    for colour in ("green", "amber", "red"):
        sel = ep[ep["status"] == colour]
        out[colour] = {"n": int(len(sel)), "miss_rate": float(sel["missed"].mean()) if len(sel) else None}
    return out


def _active(session: Session) -> set[str]:
    return set(session.execute(
        select(Alert.indicator).where(Alert.org_unit == ORG_UNIT, Alert.kind == MODEL_DRIFT, Alert.status.in_(ACTIVE))
    ).scalars())


def _draft(drift, ds, model_version: str) -> dict:
    return dict(
        unique_id=f"{ORG_UNIT}|{drift.status}", org_unit=ORG_UNIT, indicator=drift.status, ds=ds,
        kind=MODEL_DRIFT, severity="high" if drift.status == "green" else "medium",
        observed=drift.observed, expected=(drift.backtest_lo + drift.backtest_hi) / 2,
        lower=drift.backtest_lo, upper=drift.backtest_hi, score=drift.p_value,
        detectors=[f"calibration_watch:{drift.status}"], reason_en=drift.reason_en, reason_zh=drift.reason_zh,
        model_version=model_version,
    )


def check(session: Session, model, principal: Principal, rule: StatusDriftRule = StatusDriftRule()) -> list[Alert]:
    """A ``model_drift`` alert for each colour whose decided targets drifted from the
    served model's backtest (none while one for that colour is still active)."""
    by_status = (getattr(getattr(model, "estimator", None), "backtest_calibration_", None) or {}).get("by_status")
    if not by_status:
        return []
    ep = live_sample(session, model.label)
    if ep.empty:
        return []
    drifts = find_status_drift(ep["status"], ep["missed"], by_status, rule)
    quiet = _active(session)
    ds = pd.Timestamp(ep["deadline"].max()).to_pydatetime()
    drafts = [_draft(d, ds, model.label) for d in drifts if d.status not in quiet]
    if drafts:
        logger.info("calibration watch: %s targets drifted from %s's backtest",
                    ", ".join(d["indicator"] for d in drafts), model.label)
    return insert_alerts(session, drafts, principal)
