"""Alert creation, the cursor sequence and status transitions."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlalchemy import Select, select, tuple_, update
from sqlalchemy.orm import Session, selectinload

from api.auth import Principal
from api.db import Alert, AlertEvent, Counter
from api.errors import Conflict
from api.metrics import count_alerts_created
from api.schemas.common import BAND, finite, finite_fields, py_datetime, str_list, text
from api.services import in_chunks
from api.services.webhooks import CREATED, UPDATED, enqueue
from govperf_ml.alerts.ingest_checks import INGEST_CHECKS_VERSION, IngestIssue, issue_text
from govperf_ml.alerts.explain import target_risk_reason, target_risk_severity
from govperf_ml.vocabulary import ALERT_KINDS, REVIEWED_STATUSES, SEVERITIES

ALERT_SEQ = "alert_seq"
TARGET_RISK = "target_risk"
DATA_QUALITY = "data_quality"
ACTIVE = ("open", "acknowledged")  # an alert that can still take more evidence
AlertKey = tuple[str, datetime, str]  # (unique_id, ds, kind): one alert per key

logger = logging.getLogger("govperf.api")

# status -> the statuses it may move to
TRANSITIONS: dict[str, frozenset[str]] = {
    "open": frozenset({"acknowledged", "resolved", "dismissed"}),
    "acknowledged": frozenset({"resolved", "dismissed"}),
    "resolved": frozenset(),
    "dismissed": frozenset(),
}


def _open(session: Session, alert: Alert, principal: Principal) -> Alert:
    """Add a new alert with its first lifecycle event (opened by ``principal``)."""
    alert.events.append(
        AlertEvent(from_status=None, to_status="open", actor_role=principal.role, actor_key=principal.key_id)
    )
    session.add(alert)
    return alert


def next_seq(session: Session, n: int = 1) -> int:
    """Reserve ``n`` cursor values and return the first.

    The counter row is updated in the request's transaction, so it stays locked until
    commit: concurrent writers take turns and a reader paging by ``after_seq`` never
    sees a smaller seq commit after a larger one.
    """
    stmt = update(Counter).where(Counter.name == ALERT_SEQ).values(value=Counter.value + n).returning(Counter.value)
    last = session.execute(stmt).scalar_one_or_none()
    if last is None:  # a database created without the migration's seed row
        session.add(Counter(name=ALERT_SEQ, value=n))
        session.flush()
        last = n
    return last - n + 1


def _severity(value) -> str:
    value = text(value).lower()
    return value if value in SEVERITIES else "medium"


def existing_alerts(session: Session, keys: Sequence[AlertKey]) -> dict[AlertKey, Alert]:
    """The stored alerts of ``keys``, after taking the counter lock (so that two writers
    never both find a key free)."""
    next_seq(session, 0)
    found: dict[AlertKey, Alert] = {}
    for chunk in in_chunks(list(keys), 300):
        rows = session.execute(select(Alert).where(tuple_(Alert.unique_id, Alert.ds, Alert.kind).in_(chunk)))
        found.update(((a.unique_id, a.ds, a.kind), a) for a in rows.scalars())
    return found


def insert_alerts(session: Session, drafts: Sequence[dict], principal: Principal) -> list[Alert]:
    """Store new open alerts (the ``Alert`` fields of each draft), numbered in order on the
    cursor sequence, each with its first lifecycle event, and queue their ``alert.created``
    webhook events in the same transaction. The one door for every kind."""
    if not drafts:
        session.flush()
        return []
    start = next_seq(session, len(drafts))
    alerts = [
        _open(session, Alert(seq=start + offset, status="open", **draft), principal)
        for offset, draft in enumerate(drafts)
    ]
    session.flush()
    enqueue(session, alerts, CREATED)
    count_alerts_created(session, alerts)
    return alerts


def _scored_draft(key: AlertKey, row: dict, org_unit: str, indicator: str, model_version: str) -> dict:
    unique_id, ds, kind = key
    return dict(
        unique_id=unique_id,
        org_unit=org_unit,
        indicator=indicator,
        ds=ds,
        kind=kind,
        severity=_severity(row.get("severity")),
        observed=finite(row.get("y")),
        **finite_fields(row, BAND),
        detectors=str_list(row.get("detectors")),
        reason_en=text(row.get("reason_en")),
        reason_zh=text(row.get("reason_zh")),
        model_version=model_version,
    )


def create_alerts(
    session: Session,
    scored: pd.DataFrame,
    *,
    series_meta: dict[str, tuple[str, str]],
    model_version: str,
    principal: Principal,
) -> list[Alert]:
    """Insert an alert for every anomalous scored point that has none yet.

    ``scored`` is the anomaly estimator's output; ``series_meta`` maps unique_id to
    (org_unit, indicator). Points of a kind the service does not know are skipped.
    """
    flagged = scored[scored["is_anomaly"].fillna(False).astype(bool)]
    flagged = flagged[flagged["kind"].isin(ALERT_KINDS)]
    if flagged.empty:
        return []
    keys = [(str(r.unique_id), py_datetime(r.ds), str(r.kind)) for r in flagged.itertuples(index=False)]
    existing = existing_alerts(session, keys)
    drafts = [
        _scored_draft(key, row, *series_meta[key[0]], model_version)
        for key, row in zip(keys, flagged.to_dict("records"), strict=True)
        if key not in existing
    ]
    return insert_alerts(session, drafts, principal)


@dataclass(frozen=True)
class TargetCrossing:
    """A stored target whose status has just moved into red."""

    target_id: str
    unique_id: str
    org_unit: str
    indicator: str
    ds: datetime  # the period the assessment is as of
    p_miss: float | None
    current: float | None
    projected: float | None
    projected_lo: float | None
    projected_hi: float | None
    reason_en: str
    reason_zh: str


def target_detector(target_id: str) -> str:
    """The ``detectors`` entry naming the target of a ``target_risk`` alert."""
    return f"target:{target_id}"


def _add_target(alert: Alert, c: TargetCrossing) -> None:
    """Name one more red target on an existing alert of its series and period."""
    tag = target_detector(c.target_id)
    if tag in alert.detectors:
        return  # this target's alert for this period exists already
    if alert.status in ACTIVE:
        alert.detectors = [*alert.detectors, tag]
        return
    logger.warning(
        "target %s crossed into red as of %s, but the target_risk alert %d of that series and "
        "period is already %s; no new alert",
        c.target_id, f"{c.ds:%Y-%m-%d}", alert.id, alert.status,
    )


def _target_draft(group: Sequence[TargetCrossing], model_version: str) -> dict:
    c = group[0]
    en, zh = target_risk_reason(c.target_id, c.reason_en, c.reason_zh)
    return dict(
        unique_id=c.unique_id,
        org_unit=c.org_unit,
        indicator=c.indicator,
        ds=c.ds,
        kind=TARGET_RISK,
        severity=target_risk_severity(c.p_miss),
        observed=c.current,
        expected=c.projected,
        lower=c.projected_lo,
        upper=c.projected_hi,
        score=c.p_miss,
        detectors=[target_detector(g.target_id) for g in group],
        reason_en=en,
        reason_zh=zh,
        model_version=model_version,
    )


def create_target_alerts(
    session: Session, crossings: Sequence[TargetCrossing], *, model_version: str, principal: Principal
) -> list[Alert]:
    """One ``target_risk`` alert per target that has crossed into red.

    The alert's key is (series, the assessment's period, ``target_risk``), so a target
    that recovers and later falls back into red (at a later period) gets a new alert.
    Two targets of one series crossing at the same period share one alert: the second
    target is added to its ``detectors`` while it is open or acknowledged.
    """
    if not crossings:
        return []
    existing = existing_alerts(session, list(dict.fromkeys((c.unique_id, c.ds, TARGET_RISK) for c in crossings)))
    fresh: dict[tuple[str, datetime], list[TargetCrossing]] = {}
    for c in crossings:
        alert = existing.get((c.unique_id, c.ds, TARGET_RISK))
        if alert is None:  # several targets of one series and period share one new alert
            fresh.setdefault((c.unique_id, c.ds), []).append(c)
        else:
            _add_target(alert, c)
    return insert_alerts(session, [_target_draft(g, model_version) for g in fresh.values()], principal)


def alerts_query(
    *,
    org_unit: str | None = None,
    indicator: str | None = None,
    kind: str | None = None,
    severity: str | None = None,
    status: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    after_seq: int | None = None,
) -> Select:
    stmt = select(Alert)
    for column, value in (
        (Alert.org_unit, org_unit),
        (Alert.indicator, indicator),
        (Alert.kind, kind),
        (Alert.severity, severity),
        (Alert.status, status),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if since is not None:
        stmt = stmt.where(Alert.ds >= since)
    if until is not None:
        stmt = stmt.where(Alert.ds <= until)
    if after_seq is not None:
        stmt = stmt.where(Alert.seq > after_seq)
    return stmt


def get_alert(session: Session, alert_id: int, *, for_update: bool = False) -> Alert | None:
    stmt = select(Alert).where(Alert.id == alert_id).options(selectinload(Alert.events))
    if for_update:
        stmt = stmt.with_for_update()
    return session.execute(stmt).scalar_one_or_none()


def change_status(session: Session, alert: Alert, new_status: str, reason: str | None, principal: Principal) -> Alert:
    """Move an alert along open -> acknowledged -> resolved | dismissed (409 otherwise),
    queueing its ``alert.updated`` webhook event."""
    allowed = TRANSITIONS[alert.status]
    if new_status not in allowed:
        raise Conflict(
            f"alert {alert.id} is {alert.status!r}; it can move to "
            f"{sorted(allowed) if allowed else 'no other status'}, not {new_status!r}"
        )
    alert.events.append(
        AlertEvent(
            from_status=alert.status,
            to_status=new_status,
            reason=reason,
            actor_role=principal.role,
            actor_key=principal.key_id,
        )
    )
    alert.status = new_status
    alert.status_reason = reason
    alert.seq = next_seq(session)
    session.flush()
    enqueue(session, [alert], UPDATED)
    return alert


def _ingest_draft(issue: IngestIssue, en: str, zh: str) -> dict:
    return dict(
        unique_id=issue.unique_id,
        org_unit=issue.org_unit,
        indicator=issue.indicator,
        ds=issue.ds,
        kind=DATA_QUALITY,
        severity=issue.severity,
        observed=issue.observed,
        expected=issue.previous,
        lower=None,
        upper=None,
        score=None,
        detectors=[issue.check],
        reason_en=en,
        reason_zh=zh,
        model_version=INGEST_CHECKS_VERSION,
    )


def create_ingest_alerts(
    session: Session, issues: Sequence[IngestIssue], *, principal: Principal, late_after_days: int | None = None
) -> list[Alert]:
    """A ``data_quality`` alert per revised or late value.

    The key is (series, period, ``data_quality``): where an alert of that key exists
    already (say a scale-change alert whose value is now corrected), the check is added
    to its ``detectors`` and its reason while it is open or acknowledged, and no new
    alert is made. Idempotent: a batch that changes nothing finds no issues.
    """
    if not issues:
        return []
    existing: dict = existing_alerts(session, list(dict.fromkeys((i.unique_id, i.ds, DATA_QUALITY) for i in issues)))
    drafts = []
    for issue in issues:
        en, zh = issue_text(issue, late_after_days)
        key = (issue.unique_id, issue.ds, DATA_QUALITY)
        alert = existing.get(key)
        if key not in existing:
            drafts.append(_ingest_draft(issue, en, zh))
            existing[key] = None  # a second issue of the same key in this batch adds nothing
        elif alert is not None and alert.status in ACTIVE and issue.check not in alert.detectors:
            alert.detectors = [*alert.detectors, issue.check]
            alert.reason_en = f"{alert.reason_en} {en}".strip()
            alert.reason_zh = f"{alert.reason_zh}{zh}"
            alert.observed = issue.observed
    return insert_alerts(session, drafts, principal)


def dismissal_offsets(session: Session, indicators: Iterable[str], tuner=None) -> dict[str, float]:
    """Per-indicator threshold offsets from supervisors' reviews of past alerts.

    Reads the status of the reviewed ``performance_anomaly`` alerts of ``indicators``
    (one indexed query, no model retraining) and fits a
    :class:`~govperf_ml.postprocess.rules.DismissalTuner`: an indicator whose alerts are
    mostly dismissed gets a higher threshold.
    """
    from govperf_ml.postprocess.rules import DismissalTuner

    names = sorted(set(indicators))
    if not names:
        return {}
    rows = []
    for chunk in in_chunks(names, 500):
        rows.extend(
            session.execute(
                select(Alert.indicator, Alert.status).where(
                    Alert.indicator.in_(chunk), Alert.kind == "performance_anomaly", Alert.status.in_(REVIEWED_STATUSES)
                )
            ).all()
        )
    if not rows:
        return {}
    frame = pd.DataFrame({"indicator": [r[0] for r in rows], "dismissed": [r[1] == "dismissed" for r in rows]})
    return (tuner or DismissalTuner()).fit(frame).offsets_
