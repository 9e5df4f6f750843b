"""The evidence read with an alert (``GET /v1/alerts/{id}``): complaints ↔ KPIs.

* A ``feedback_surge`` alert: its messages in the surge's two weeks (masked excerpts of the
  most confidently tagged, never raw text), their key terms, and the open or acknowledged
  KPI alerts and red targets of the same district whose indicator lies in an evaluation
  dimension the surge's service dimension maps to, around the surge (KPI periods from the
  month before the surge's month to the month after; targets running over the surge).
* A KPI alert of a catalogue indicator: the complaints of its district in the service
  dimensions of its indicator in its period (the calendar month of its ``ds``), against
  the monthly mean of the ``BASELINE_MONTHS`` months before, a few masked excerpts, and
  the ``feedback_surge`` alerts of the same district and dimensions around it.

Links are found when the alert is read, so they follow the other alerts' status.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db import Alert, Target
from api.schemas.common import py_datetime
from api.services.alerts import ACTIVE
from api.services.feedback_surges import messages_frame, surge_terms
from govperf_ml.feedback import surges as lib
from govperf_ml.feedback.links import indicators_of, service_dimensions_of
from govperf_ml.vocabulary import FEEDBACK_SURGE

EXCERPTS = 5
EXCERPT_CHARS = 120
LINK_MONTHS = 1
BASELINE_MONTHS = 6


def _month(ts) -> pd.Timestamp:
    return pd.Timestamp(ts).to_period("M").start_time


def _excerpts(frame: pd.DataFrame) -> list[dict]:
    top = frame.sort_values(["confidence", "received_at"], ascending=[False, True], na_position="last").head(EXCERPTS)
    return [
        {"message_id": m.message_id, "received_at": py_datetime(m.received_at), "area": m.area,
         "dimensions": list(m.dimensions),
         "excerpt": m.masked_text if len(m.masked_text) <= EXCERPT_CHARS else m.masked_text[:EXCERPT_CHARS] + "…"}
        for m in top.itertuples(index=False)
    ]


def _link_alert(a: Alert) -> dict:
    return {"id": a.id, "kind": a.kind, "indicator": a.indicator, "ds": a.ds, "status": a.status, "severity": a.severity}


def _surge_evidence(session: Session, alert: Alert) -> dict | None:
    cell = lib.surge_cell(alert.unique_id)
    if cell is None:
        return None
    org_unit, area, dimension = cell
    start = pd.Timestamp(alert.ds)
    end = start + lib.EVIDENCE_WEEKS * lib.WEEK
    frame = messages_frame(session, since=py_datetime(start - 26 * lib.WEEK), until=py_datetime(end), org_unit=org_unit)
    mine = frame.loc[((frame["received_at"] >= start) & (frame["area"] == area)
                      & frame["dimensions"].map(lambda ds: dimension in ds)).astype(bool)]
    indicators = indicators_of(dimension)
    lo, hi = _month(start) - pd.DateOffset(months=LINK_MONTHS), _month(end - pd.Timedelta(days=1)) + pd.DateOffset(months=LINK_MONTHS)
    alerts = session.execute(
        select(Alert).where(Alert.org_unit == org_unit, Alert.indicator.in_(indicators), Alert.kind != FEEDBACK_SURGE,
                            Alert.status.in_(ACTIVE), Alert.ds >= py_datetime(lo), Alert.ds <= py_datetime(hi))
        .order_by(Alert.ds, Alert.id)
    ).scalars().all() if indicators else []
    targets = session.execute(
        select(Target).where(Target.org_unit == org_unit, Target.indicator.in_(indicators), Target.risk_status == "red",
                             Target.start < end.date(), Target.deadline >= start.date())
        .order_by(Target.deadline, Target.target_id)
    ).scalars().all() if indicators else []
    return {
        "period_start": py_datetime(start), "period_end": py_datetime(end),
        "complaints": [{"org_unit": org_unit, "area": area, "dimension": dimension, "count": len(mine), "baseline": None}],
        "messages": _excerpts(mine),
        "key_terms": surge_terms(frame, org_unit, area, dimension, start),
        "linked_alerts": [_link_alert(a) for a in alerts],
        "linked_targets": [
            {"target_id": t.target_id, "indicator": t.indicator, "start": t.start, "deadline": t.deadline,
             "risk_status": t.risk_status, "p_miss": t.p_miss} for t in targets
        ],
    }


def _kpi_evidence(session: Session, alert: Alert) -> dict | None:
    dims = service_dimensions_of(alert.indicator)
    if not dims:
        return None
    start = _month(alert.ds)
    end = start + pd.DateOffset(months=1)
    base_start = start - pd.DateOffset(months=BASELINE_MONTHS)
    frame = messages_frame(session, since=py_datetime(base_start), until=py_datetime(end), org_unit=alert.org_unit)
    frame = frame.loc[frame["dimensions"].map(lambda ds: any(d in dims for d in ds)).astype(bool)]
    now, before = frame[frame["received_at"] >= start], frame[frame["received_at"] < start]
    complaints = [
        {"org_unit": alert.org_unit, "area": None, "dimension": d,
         "count": int(now["dimensions"].map(lambda ds, d=d: d in ds).sum()),
         "baseline": float(before["dimensions"].map(lambda ds, d=d: d in ds).sum()) / BASELINE_MONTHS}
        for d in dims
    ]
    surges = session.execute(
        select(Alert).where(Alert.org_unit == alert.org_unit, Alert.kind == FEEDBACK_SURGE,
                            Alert.ds >= py_datetime(start - pd.DateOffset(months=LINK_MONTHS)),
                            Alert.ds < py_datetime(end + pd.DateOffset(months=LINK_MONTHS)))
        .order_by(Alert.ds, Alert.id)
    ).scalars().all()
    surges = [a for a in surges if (lib.parse_feedback_indicator(a.indicator) or ("", ""))[1] in dims]
    return {
        "period_start": py_datetime(start), "period_end": py_datetime(end), "complaints": complaints,
        "messages": _excerpts(now), "key_terms": [], "linked_alerts": [_link_alert(a) for a in surges],
        "linked_targets": [],
    }


def evidence(session: Session, alert: Alert) -> dict | None:
    """The linked evidence of ``alert`` (None where there is none to link: an indicator
    outside the catalogue). Keys: period_start, period_end, complaints, messages,
    key_terms, linked_alerts, linked_targets."""
    if alert.kind == FEEDBACK_SURGE:
        return _surge_evidence(session, alert)
    return _kpi_evidence(session, alert)
