"""Gather the figures of one periodic report from the service's store.

:func:`gather` reads the observations, the stored target assessments (through
:mod:`api.services.targets`, as ``GET /v1/targets`` serves them), the period's alerts,
the stored demand forecasts and the citizen feedback, and returns a
:class:`~api.reports.figures.ReportData`: plain values, nothing formatted. The same
store gives the same figures (every list has a fixed order), so the same document.
"""

from __future__ import annotations

import hashlib
import math
from datetime import datetime

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db import Observation
from api.reports import sections
from api.console.names import indicator_order, peer_group
from api.reports.figures import CITY, Period, ReportData, ReportError, ScoreRow, Trend, parse_period
from api.reports.peers import peer_comparison
from govperf_ml.contracts import DataContractError
from api.services import targets as target_service

TREND_MONTHS = 24  # months of history in a trend chart
MAX_CHARTS = 8  # trend charts in a report (one A4 page): the indicators most at risk first
STATUS_ORDER = {"red": 0, "amber": 1, "green": 2, None: 3}


def known_units(session: Session) -> list[str]:
    return list(session.execute(select(Observation.org_unit).distinct().order_by(Observation.org_unit)).scalars())


def known_periods(session: Session) -> list[str]:
    """Months with observations, latest first (``YYYY-MM``)."""
    found = session.execute(select(Observation.ds).distinct()).scalars()
    return sorted({f"{d.year}-{d.month:02d}" for d in found}, reverse=True)


def _scope(session: Session, org_unit: str) -> tuple[str, ...]:
    units = known_units(session)
    if org_unit == CITY and units:
        return tuple(u for u in units if u != CITY)
    if org_unit not in units:
        raise ReportError("org_unit", f"no observations of org unit {org_unit!r}", 404)
    return (org_unit,)


def _observations(session: Session, since: datetime, until: datetime) -> pd.DataFrame:
    """Every unit's observations in [since, until): peers need the other units too."""
    rows = session.execute(
        select(Observation.org_unit, Observation.indicator, Observation.ds, Observation.value, Observation.direction)
        .where(Observation.ds >= since, Observation.ds < until)
        .order_by(Observation.org_unit, Observation.indicator, Observation.ds)
    ).all()
    frame = pd.DataFrame(rows, columns=["org_unit", "indicator", "ds", "value", "direction"])
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce")
    return frame


def _fingerprint(session: Session, units: tuple[str, ...], until: datetime, targets: list) -> tuple[str, int]:
    """A short hash of the observations (through the period) and targets the report read."""
    digest = hashlib.sha256()
    count = 0
    stmt = (
        select(Observation.unique_id, Observation.ds, Observation.value)
        .where(Observation.org_unit.in_(units), Observation.ds < until)
        .order_by(Observation.unique_id, Observation.ds)
    )
    for uid, ds, value in session.execute(stmt):
        digest.update(f"{uid}|{ds:%Y-%m-%d}|{value!r}\n".encode())
        count += 1
    for t in targets:
        digest.update(f"{t.target_id}|{t.target!r}|{t.deadline}|{t.risk_status}|{t.p_miss!r}\n".encode())
    return digest.hexdigest()[:12], count


def _active_targets(session: Session, units: tuple[str, ...], period: Period) -> dict[str, object]:
    """Per series, the stored target in force during the period (the earliest deadline)."""
    found = []
    for unit in units:
        stmt = target_service.targets_query(org_unit=unit, deadline_from=period.start.date())
        found += [t for t in session.execute(stmt).scalars() if t.start < period.end.date()]
    chosen: dict[str, object] = {}
    for t in sorted(found, key=lambda t: (t.unique_id, t.deadline, t.target_id)):
        chosen.setdefault(t.unique_id, t)
    return chosen


def _value(series: pd.DataFrame, when: datetime) -> float | None:
    hit = series.loc[series["ds"] == pd.Timestamp(when), "value"]
    return None if hit.empty or math.isnan(hit.iloc[0]) else float(hit.iloc[0])


def _scorecard(history: pd.DataFrame, units: tuple[str, ...], period: Period, targets: dict) -> list[ScoreRow]:
    last = pd.Timestamp(period.last)
    rows = []
    own = history[history["org_unit"].isin(units)]
    for (unit, indicator), series in own.groupby(["org_unit", "indicator"], sort=True):
        direction = series["direction"].dropna().iloc[-1] if series["direction"].notna().any() else None
        stored = targets.get(f"{unit}|{indicator}")
        risk = target_service.public(stored).risk if stored is not None else None
        rows.append(ScoreRow(
            org_unit=unit, indicator=indicator, direction=direction, value=_value(series, last),
            previous=_value(series, last - pd.DateOffset(months=1)),
            year_ago=_value(series, last - pd.DateOffset(years=1)),
            target=stored.target if stored is not None else None,
            deadline=stored.deadline if stored is not None else None,
            aggregation=stored.aggregation if stored is not None else None,
            status=risk.status if risk else None, p_miss=risk.p_miss if risk else None,
            current=risk.current if risk else None, projected=risk.projected if risk else None,
            as_of=risk.as_of if risk else None, reason_zh=risk.reason_zh if risk else "",
            reason_en=risk.reason_en if risk else "",
        ))
    return sorted(rows, key=lambda r: (r.org_unit, STATUS_ORDER.get(r.status, 3), -(r.p_miss or 0),
                                       indicator_order(r.indicator)))


def _chart_order(scorecard: list[ScoreRow], alert_count: dict[str, int]) -> list[str]:
    """Indicators by risk: red targets, then alerts in the period, amber, the rest."""
    weight: dict[str, tuple] = {}
    for r in scorecard:
        red, amber = r.status == "red", r.status == "amber"
        old = weight.get(r.indicator, (0, 0, 0))
        weight[r.indicator] = (old[0] - red, old[1] - alert_count.get(r.indicator, 0), old[2] - amber)
    return sorted(weight, key=lambda k: (weight[k], k))[:MAX_CHARTS]


def _trends(history: pd.DataFrame, data: ReportData, targets: dict, flagged: dict) -> list[Trend]:
    counts: dict[str, int] = {}
    for a in data.alerts:
        counts[a.indicator] = counts.get(a.indicator, 0) + 1
    months = pd.date_range(end=data.period.last, periods=TREND_MONTHS, freq="MS")
    wide = history.pivot_table(index="ds", columns=["indicator", "org_unit"], values="value", dropna=False)
    wide = wide.reindex(months)
    out = []
    for indicator in _chart_order(data.scorecard, counts):
        if indicator not in wide.columns.get_level_values(0):
            continue
        table = wide[indicator]
        if data.is_city:
            values, unit, peer_units = table.median(axis=1), CITY, list(table.columns)
        else:
            unit = data.units[0]
            if unit not in table.columns:
                continue
            values = table[unit]
            same = [u for u in table.columns if u != unit and peer_group(u) == peer_group(unit)]
            peer_units = same or [u for u in table.columns if u != unit]
        stored = targets.get(f"{unit}|{indicator}")
        out.append(Trend(
            org_unit=unit, indicator=indicator, periods=tuple(m.to_pydatetime() for m in months),
            values=tuple(float(v) for v in values), peers={u: tuple(float(v) for v in table[u]) for u in peer_units},
            flagged=tuple(sorted(flagged.get(f"{unit}|{indicator}", ()))),
            target=stored.target if stored is not None else None,
            deadline=stored.deadline if stored is not None else None,
        ))
    return out


def _peer_comparison(history: pd.DataFrame, data: ReportData, targets: dict):
    """横向对比 by ``govperf_ml.comparison`` (:mod:`api.reports.peers`); none where the
    stored values break its contract (e.g. an indicator without a direction)."""
    frame = pd.DataFrame([(t.unique_id, t.target, t.start, t.deadline) for t in targets.values()],
                         columns=["unique_id", "target", "start", "deadline"])
    try:
        return peer_comparison(history, frame, data.org_unit, data.period.last, whole_city=data.is_city)
    except DataContractError:
        return []


def _model_versions(data: ReportData, targets: dict) -> tuple[str, ...]:
    found = {t.model_version for t in targets.values() if t.model_version}
    found |= {a.model_version for a in data.alerts} | {f.model_version for f in data.forecasts}
    return tuple(sorted(found))


def resolve(session: Session, period: str, org_unit: str) -> tuple[Period, tuple[str, ...]]:
    """The period and the units a report covers. Raises :class:`ReportError`: 422 for a
    malformed period, 404 (naming ``org_unit`` or ``period``) when the store has no
    observations of the unit or none of it in the period."""
    when = parse_period(period)
    units = _scope(session, org_unit)
    found = session.execute(
        select(Observation.id).where(Observation.org_unit.in_(units), Observation.ds >= when.start,
                                     Observation.ds < when.end).limit(1)
    ).first()
    if found is None:
        raise ReportError("period", f"no observations of {org_unit} in {when.label}", 404)
    return when, units


def gather(session: Session, period: str, org_unit: str) -> ReportData:
    """The figures of the report of ``org_unit`` (a unit id or ``CITY``) for ``period``.

    Raises :class:`ReportError` as :func:`resolve` does.
    """
    when, units = resolve(session, period, org_unit)
    since = (pd.Timestamp(when.last) - pd.DateOffset(months=max(TREND_MONTHS, 13))).to_pydatetime()
    history = _observations(session, since, when.end)
    targets = _active_targets(session, units, when)
    version, count = _fingerprint(session, units, when.end, list(targets.values()))
    data = ReportData(org_unit=org_unit, period=when, units=units, data_version=version, n_observations=count,
                      model_versions=())
    data.scorecard = _scorecard(history, units, when, targets)
    data.alerts = sections.alerts(session, units, when)
    flagged: dict[str, set] = {}
    for a in data.alerts:
        flagged.setdefault(f"{a.org_unit}|{a.indicator}", set()).add(a.ds)
        flagged.setdefault(f"{CITY}|{a.indicator}", set()).add(a.ds)  # the city's chart: any district's
    data.trends = _trends(history, data, targets, flagged)
    data.forecast_period = when.following()
    data.forecasts = sections.forecasts(session, org_unit, data.forecast_period)
    data.feedback = sections.feedback(session, units, when, whole_city=data.is_city)
    data.peers = _peer_comparison(history, data, targets)
    data.model_versions = _model_versions(data, targets)
    return data
