"""What the alert page shows around one alert: its series' chart (the expected band where
the service stored one, the flagged point, the target line), peers' values of the same
period, and its audit trail. Every lookup is by an index: (unique_id, ds) of the
observations and alerts, (indicator, ds) of the observations, (item_type, item_id) of the
audit trail; and the complaints linked to it (:mod:`api.services.alert_evidence`, the API's own)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.console.i18n import translator
from api.console.formats import day_text, svg_uri
from api.console.names import area_name, service_dimension_name
from api.db import Alert, AuditEntry, Observation, Target
from api.services import alert_evidence
from govperf_ml.plots import series_chart, to_svg
from govperf_ml.vocabulary import series_id

HISTORY_PERIODS = 36  # periods of the series drawn before (and around) the alert
PEER_LINES = 12  # peers drawn as grey lines, spread over the ranking (all of them are in the table)
PEER_ROWS = 100


@dataclass
class Peer:
    org_unit: str
    value: float | None
    is_self: bool


def _series(session: Session, alert: Alert) -> pd.DataFrame:
    rows = session.execute(
        select(Observation.ds, Observation.value)
        .where(Observation.unique_id == alert.unique_id)
        .order_by(Observation.ds)
    ).all()
    frame = pd.DataFrame(rows, columns=["ds", "y"])
    if frame.empty:  # no stored observations: the alert's own value is the series
        frame = pd.DataFrame({"ds": [alert.ds], "y": [alert.observed]})
    before = frame[frame["ds"] <= alert.ds].tail(HISTORY_PERIODS)
    after = frame[frame["ds"] > alert.ds].head(6)
    return pd.concat([before, after], ignore_index=True).astype({"y": float})


def _bands(session: Session, alert: Alert, periods: pd.Series) -> dict[str, list[float]] | None:
    """The expected value and band the service stored with this series' alerts, per period
    (NaN where no alert of the series holds one)."""
    rows = session.execute(
        select(Alert.ds, Alert.expected, Alert.lower, Alert.upper)
        .where(Alert.unique_id == alert.unique_id, Alert.ds >= periods.min(), Alert.ds <= periods.max())
    ).all()
    stored = {r.ds: r for r in rows if r.lower is not None and r.upper is not None}
    if not stored:
        return None
    out: dict[str, list[float]] = {"expected": [], "lower": [], "upper": []}
    for ds in periods:
        r = stored.get(pd.Timestamp(ds).to_pydatetime())
        for key in out:
            value = getattr(r, key) if r is not None else None
            out[key].append(float(value) if value is not None else math.nan)
    return out


def target_of(session: Session, alert: Alert) -> Target | None:
    """The series' target whose period holds the alert (else the one with the latest deadline)."""
    targets = session.execute(select(Target).where(Target.unique_id == alert.unique_id)).scalars().all()
    day = alert.ds.date()
    covering = [t for t in targets if t.start <= day <= t.deadline]
    pool = covering or list(targets)
    return max(pool, key=lambda t: t.deadline) if pool else None


def peers(session: Session, alert: Alert) -> list[Peer]:
    """Every unit's value of the alert's indicator at the alert's period, highest first."""
    rows = session.execute(
        select(Observation.org_unit, Observation.value)
        .where(Observation.indicator == alert.indicator, Observation.ds == alert.ds)
        .order_by(Observation.value.desc(), Observation.org_unit)
        .limit(PEER_ROWS)
    ).all()
    return [Peer(r.org_unit, r.value, r.org_unit == alert.org_unit) for r in rows]


def _peer_lines(session: Session, alert: Alert, periods: pd.Series, found: list[Peer]) -> dict[str, list[float]]:
    """Up to :data:`PEER_LINES` peers' series over the chart's periods, picked evenly from
    the period's ranking (highest to lowest), read by series id (one index seek each)."""
    others = [p.org_unit for p in found if not p.is_self]
    if not others:
        return {}
    picks = sorted(set(np.linspace(0, len(others) - 1, min(PEER_LINES, len(others))).round().astype(int)))
    uids = [series_id(others[i], alert.indicator) for i in picks]
    rows = session.execute(
        select(Observation.org_unit, Observation.ds, Observation.value)
        .where(Observation.unique_id.in_(uids), Observation.ds >= periods.min(), Observation.ds <= periods.max())
    ).all()
    position = {ts.to_pydatetime(): i for i, ts in enumerate(pd.to_datetime(periods))}
    lines: dict[str, list[float]] = {}
    for unit, ds, value in rows:
        line = lines.setdefault(unit, [math.nan] * len(position))
        if ds in position and value is not None:
            line[position[ds]] = float(value)
    return lines


def chart(session: Session, alert: Alert, target: Target | None, found: list[Peer], lang: str) -> str:
    """The series' chart (an SVG image as a data: URL)."""
    t = translator(lang)
    series = _series(session, alert)
    periods = pd.to_datetime(series["ds"])
    band = _bands(session, alert, periods) or {}
    line = target is not None and target.aggregation != "sum"  # a total is not on the values' scale
    fig = series_chart(
        periods, series["y"].tolist(), **band, flagged=[alert.ds],
        target=target.target if line else None, target_deadline=target.deadline if line else None,
        peers=_peer_lines(session, alert, periods, found),
        labels={key: t(f"alerts_chart_{key}") for key in ("history", "expected", "band", "flagged", "target")},
    )
    return svg_uri(to_svg(fig))


def audit_entries(session: Session, alert_id: int) -> list[AuditEntry]:
    return list(session.execute(
        select(AuditEntry)
        .where(AuditEntry.item_type == "alert", AuditEntry.item_id == str(alert_id))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    ).scalars())


def evidence_context(session: Session, alert: Alert, lang: str) -> dict:
    """The template's ``evidence`` (what ``GET /v1/alerts/{id}`` returns as ``evidence``,
    None for an indicator outside the catalogue) and the names it needs in ``lang``; the
    period's end is shown as its last day (the API's is exclusive)."""
    found = alert_evidence.evidence(session, alert)
    if found is not None:
        found["period_end"] = found["period_end"] - pd.Timedelta(days=1)
    return {
        "evidence": found, "baseline_months": alert_evidence.BASELINE_MONTHS,
        "area_name": lambda area: area_name(area, lang),
        "dim_name": lambda dim: service_dimension_name(dim, lang),
        "fmt_day": lambda d: day_text(d, lang),
    }
