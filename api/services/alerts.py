"""Alert creation, the cursor sequence and status transitions."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlalchemy import Select, func, select, tuple_, update
from sqlalchemy.orm import Session, selectinload

from api.auth import Principal
from api.db import ALERT_KINDS, SEVERITIES, Alert, AlertEvent, Counter
from api.errors import Conflict
from api.schemas.common import finite, py_datetime, str_list, text

ALERT_SEQ = "alert_seq"
TARGET_RISK = "target_risk"
HIGH_P_MISS = 0.8  # a target_risk alert is high severity from this probability of missing on

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
    next_seq(session, 0)  # take the counter lock before looking for existing alerts
    keys = [(str(r.unique_id), py_datetime(r.ds), str(r.kind)) for r in flagged.itertuples(index=False)]
    existing: set[tuple[str, datetime, str]] = set()
    for chunk in _chunks(keys, 300):
        rows = session.execute(
            select(Alert.unique_id, Alert.ds, Alert.kind).where(
                tuple_(Alert.unique_id, Alert.ds, Alert.kind).in_(chunk)
            )
        )
        existing.update((u, d, k) for u, d, k in rows)
    new_rows = [(key, row) for key, row in zip(keys, flagged.to_dict("records"), strict=True) if key not in existing]
    if not new_rows:
        return []
    start = next_seq(session, len(new_rows))
    alerts: list[Alert] = []
    for offset, ((unique_id, ds, kind), row) in enumerate(new_rows):
        org_unit, indicator = series_meta[unique_id]
        alert = Alert(
            seq=start + offset,
            unique_id=unique_id,
            org_unit=org_unit,
            indicator=indicator,
            ds=ds,
            kind=kind,
            severity=_severity(row.get("severity")),
            observed=finite(row.get("y")),
            expected=finite(row.get("expected")),
            lower=finite(row.get("lo")),
            upper=finite(row.get("hi")),
            score=finite(row.get("anomaly_score")),
            detectors=str_list(row.get("detectors")),
            reason_en=text(row.get("reason_en")),
            reason_zh=text(row.get("reason_zh")),
            model_version=model_version,
            status="open",
        )
        alerts.append(_open(session, alert, principal))
    session.flush()
    return alerts


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
    next_seq(session, 0)  # take the counter lock before looking for existing alerts
    keys = list(dict.fromkeys((c.unique_id, c.ds, TARGET_RISK) for c in crossings))
    existing: dict[tuple[str, datetime, str], Alert] = {}
    for chunk in _chunks(keys, 300):
        found = session.execute(select(Alert).where(tuple_(Alert.unique_id, Alert.ds, Alert.kind).in_(chunk))).scalars()
        existing.update(((a.unique_id, a.ds, a.kind), a) for a in found)
    fresh: list[TargetCrossing] = []
    for c in crossings:
        key = (c.unique_id, c.ds, TARGET_RISK)
        alert = existing.get(key)
        if alert is None:
            fresh.append(c)  # several targets of one series and period share one new alert
            continue
        tag = target_detector(c.target_id)
        if tag in alert.detectors:
            continue  # this target's alert for this period exists already
        if alert.status in ("open", "acknowledged"):
            alert.detectors = [*alert.detectors, tag]
        else:
            logger.warning(
                "target %s crossed into red as of %s, but the target_risk alert %d of that series and "
                "period is already %s; no new alert",
                c.target_id,
                f"{c.ds:%Y-%m-%d}",
                alert.id,
                alert.status,
            )
    by_key: dict[tuple[str, datetime], list[TargetCrossing]] = {}
    for c in fresh:
        by_key.setdefault((c.unique_id, c.ds), []).append(c)
    if not by_key:
        session.flush()
        return []
    start = next_seq(session, len(by_key))
    alerts: list[Alert] = []
    for offset, group in enumerate(by_key.values()):
        c = group[0]
        alert = Alert(
            seq=start + offset,
            unique_id=c.unique_id,
            org_unit=c.org_unit,
            indicator=c.indicator,
            ds=c.ds,
            kind=TARGET_RISK,
            severity="high" if c.p_miss is not None and c.p_miss >= HIGH_P_MISS else "medium",
            observed=c.current,
            expected=c.projected,
            lower=c.projected_lo,
            upper=c.projected_hi,
            score=c.p_miss,
            detectors=[target_detector(g.target_id) for g in group],
            reason_en=f"Target {c.target_id}: {c.reason_en}".strip(),
            reason_zh=f"目标 {c.target_id}：{c.reason_zh}".strip(),
            model_version=model_version,
            status="open",
        )
        alerts.append(_open(session, alert, principal))
    session.flush()
    return alerts


def _chunks(items: Sequence, size: int) -> Iterable[Sequence]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


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


def count(session: Session, stmt: Select) -> int:
    return session.execute(select(func.count()).select_from(stmt.order_by(None).subquery())).scalar_one()


def get_alert(session: Session, alert_id: int, *, for_update: bool = False) -> Alert | None:
    stmt = select(Alert).where(Alert.id == alert_id).options(selectinload(Alert.events))
    if for_update:
        stmt = stmt.with_for_update()
    return session.execute(stmt).scalar_one_or_none()


def change_status(session: Session, alert: Alert, new_status: str, reason: str | None, principal: Principal) -> Alert:
    """Move an alert along open -> acknowledged -> resolved | dismissed (409 otherwise)."""
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
    return alert


INGEST_CHECKS_VERSION = "ingest-checks/1"
"""The ``model_version`` of data-quality alerts raised by the ingest checks (no model)."""


def _period_label(ds: datetime) -> str:
    return f"{ds:%Y-%m}" if ds.day == 1 and ds.hour == 0 else f"{ds:%Y-%m-%d}"


def _num(x: float | None) -> str:
    return "missing" if x is None else f"{x:,.6g}"


def ingest_issue_text(issue, late_after_days: int | None = None) -> tuple[str, str]:
    """One sentence in English and in Chinese for a revised or late value."""
    label = _period_label(issue.ds)
    if issue.check == "revised_history":
        prev, new = _num(issue.previous), _num(issue.observed)
        return (
            f"The value for {label} was revised from {prev} to {new} after it had been stored: "
            "check why past figures changed.",
            f"{label} 的数值在报送后由 {prev} 修订为 {new}：请核实修改历史数据的原因。",
        )
    allowed_en = f" (allowed: {late_after_days} days)" if late_after_days is not None else ""
    allowed_zh = f"（允许 {late_after_days} 天）" if late_after_days is not None else ""
    return (
        f"The value for {label} arrived {issue.days_late} days after the period ended{allowed_en}.",
        f"{label} 的数值在期末后 {issue.days_late} 天才报送{allowed_zh}。",
    )


def create_ingest_alerts(
    session: Session, issues: Sequence, *, principal: Principal, late_after_days: int | None = None
) -> list[Alert]:
    """A ``data_quality`` alert per revised or late value (``observations.IngestIssue``).

    The key is (series, period, ``data_quality``): where an alert of that key exists
    already (say a scale-change alert whose value is now corrected), the check is added
    to its ``detectors`` and its reason while it is open or acknowledged, and no new
    alert is made. Idempotent: a batch that changes nothing finds no issues.
    """
    if not issues:
        return []
    next_seq(session, 0)  # take the counter lock before looking for existing alerts
    keys = list(dict.fromkeys((i.unique_id, i.ds, "data_quality") for i in issues))
    existing: dict[tuple[str, datetime, str], Alert] = {}
    for chunk in _chunks(keys, 300):
        found = session.execute(select(Alert).where(tuple_(Alert.unique_id, Alert.ds, Alert.kind).in_(chunk))).scalars()
        existing.update(((a.unique_id, a.ds, a.kind), a) for a in found)
    fresh = []
    for issue in issues:
        en, zh = ingest_issue_text(issue, late_after_days)
        alert = existing.get((issue.unique_id, issue.ds, "data_quality"))
        if alert is None:
            fresh.append((issue, en, zh))
            existing[(issue.unique_id, issue.ds, "data_quality")] = None  # type: ignore[assignment]
        elif alert is not None and alert.status in ("open", "acknowledged") and issue.check not in alert.detectors:
            alert.detectors = [*alert.detectors, issue.check]
            alert.reason_en = f"{alert.reason_en} {en}".strip()
            alert.reason_zh = f"{alert.reason_zh}{zh}"
            alert.observed = issue.observed
    if not fresh:
        session.flush()
        return []
    start = next_seq(session, len(fresh))
    alerts: list[Alert] = []
    for offset, (issue, en, zh) in enumerate(fresh):
        alert = Alert(
            seq=start + offset,
            unique_id=issue.unique_id,
            org_unit=issue.org_unit,
            indicator=issue.indicator,
            ds=issue.ds,
            kind="data_quality",
            severity="medium" if issue.check == "revised_history" else "low",
            observed=issue.observed,
            expected=issue.previous,
            lower=None,
            upper=None,
            score=None,
            detectors=[issue.check],
            reason_en=en,
            reason_zh=zh,
            model_version=INGEST_CHECKS_VERSION,
            status="open",
        )
        alerts.append(_open(session, alert, principal))
    session.flush()
    return alerts


REVIEWED = ("acknowledged", "resolved", "dismissed")


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
    for chunk in _chunks(names, 500):
        rows.extend(
            session.execute(
                select(Alert.indicator, Alert.status).where(
                    Alert.indicator.in_(chunk), Alert.kind == "performance_anomaly", Alert.status.in_(REVIEWED)
                )
            ).all()
        )
    if not rows:
        return {}
    frame = pd.DataFrame({"indicator": [r[0] for r in rows], "dismissed": [r[1] == "dismissed" for r in rows]})
    return (tuner or DismissalTuner()).fit(frame).offsets_
