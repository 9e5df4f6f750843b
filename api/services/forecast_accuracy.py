"""The forecast accuracy watch: stored forecasts meet their actuals as values are ingested.

``POST /v1/observations`` stores values of ``<org_unit>|<indicator>`` series; a stored
forecast of the same series id and period (a demand series ``D01|hotline`` whose actual
arrives as indicator ``hotline`` of ``D01``) gets its ``actual``. The served forecast
model's scored rows of each touched series are then compared with that model's backtest
(:func:`govperf_ml.forecasting.accuracy.find_drift`); a drift raises one ``model_drift``
alert for the series, unless one is still open or acknowledged. ``GET
/v1/forecasts/accuracy`` and ``GET /v1/models`` read the same figures.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

import pandas as pd
from sqlalchemy import Select, and_, case, func, select, tuple_
from sqlalchemy.orm import Session

from api.auth import Principal
from api.db import Alert, Forecast
from api.services import in_chunks
from api.services.alerts import ACTIVE, insert_alerts
from govperf_ml.forecasting.accuracy import DriftRule, find_drift, score, summarise

logger = logging.getLogger("govperf.api")

MODEL_DRIFT = "model_drift"
WINDOW = 90  # the latest scored forecasts of a series that a drift check reads
COLUMNS = ("unique_id", "org_unit", "channel", "ds", "h_step", "mean", "lo_80", "hi_80", "lo_95", "hi_95",
           "scale", "actual", "model_version", "run_id", "level", "cutoff")


def record_actuals(session: Session, values: Mapping[tuple[str, datetime], float | None]) -> set[str]:
    """Set ``actual`` on the stored forecasts of these (series id, period) keys; returns
    the series that had any (a value withdrawn as null clears the actual)."""
    now = datetime.now(UTC)
    touched: set[str] = set()
    for chunk in in_chunks(list(values), 300):
        rows = session.execute(select(Forecast).where(tuple_(Forecast.unique_id, Forecast.ds).in_(chunk))).scalars()
        for row in rows:
            row.actual = values[(row.unique_id, row.ds)]
            row.scored_at = now
            touched.add(row.unique_id)
    session.flush()
    return touched


def scored_frame(session: Session, stmt: Select) -> pd.DataFrame:
    """The forecasts ``stmt`` selects that have an actual, scored (abs/scaled error, coverage)."""
    rows = session.execute(stmt.where(Forecast.actual.is_not(None))).scalars().all()
    frame = pd.DataFrame([{c: getattr(r, c) for c in COLUMNS} for r in rows], columns=list(COLUMNS))
    return score(frame) if len(frame) else frame


def accuracy_query(*, unique_ids=None, org_unit=None, channel=None, model_version=None, run_id=None,
                   level=None, ds_from=None, ds_to=None) -> Select:
    stmt = select(Forecast)
    for column, value in ((Forecast.org_unit, org_unit), (Forecast.channel, channel),
                          (Forecast.model_version, model_version), (Forecast.run_id, run_id),
                          (Forecast.level, level)):
        if value is not None:
            stmt = stmt.where(column == value)
    if unique_ids:
        stmt = stmt.where(Forecast.unique_id.in_(unique_ids))
    if ds_from is not None:
        stmt = stmt.where(Forecast.ds >= ds_from)
    if ds_to is not None:
        stmt = stmt.where(Forecast.ds <= ds_to)
    return stmt


def _latest(session: Session, unique_ids: Sequence[str], model_version: str) -> pd.DataFrame:
    parts = []
    for chunk in in_chunks(sorted(unique_ids), 300):
        frame = scored_frame(session, accuracy_query(unique_ids=chunk, model_version=model_version))
        if len(frame):
            parts.append(frame.sort_values(["unique_id", "ds", "cutoff"]).groupby("unique_id").tail(WINDOW))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def _already_raised(session: Session, unique_ids: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for chunk in in_chunks(sorted(unique_ids), 300):
        found.update(session.execute(
            select(Alert.unique_id).where(Alert.unique_id.in_(chunk), Alert.kind == MODEL_DRIFT,
                                          Alert.status.in_(ACTIVE))
        ).scalars())
    return found


def _draft(uid: str, rows: pd.DataFrame, drifts, model_version: str) -> dict:
    first = drifts[0]
    return dict(
        unique_id=uid, org_unit=str(rows["org_unit"].iloc[0]), indicator=str(rows["channel"].iloc[0]),
        ds=rows["ds"].max().to_pydatetime(), kind=MODEL_DRIFT, severity="high" if len(drifts) > 1 else "medium",
        observed=float(first.live), expected=float(first.expected), lower=None, upper=None,
        score=first.p_value, detectors=[f"accuracy_watch:{d.metric}" for d in drifts],
        reason_en=" ".join(d.reason_en for d in drifts), reason_zh="".join(d.reason_zh for d in drifts),
        model_version=model_version,
    )


def check_drift(session: Session, unique_ids: set[str], model, principal: Principal,
                rule: DriftRule = DriftRule()) -> list[Alert]:
    """A ``model_drift`` alert for each of these series whose latest scored forecasts by the
    served ``model`` have drifted from its backtest (none while one is still active)."""
    if not unique_ids or model is None:
        return []
    scored = _latest(session, list(unique_ids), model.label)
    if not len(scored):
        return []
    quiet = _already_raised(session, list(set(scored["unique_id"])))
    drafts = []
    for uid, rows in scored.groupby("unique_id", sort=True):
        if uid in quiet:
            continue
        drifts = find_drift(summarise(rows).iloc[0].to_dict(), model.metrics or {}, rule)
        if drifts:
            drafts.append(_draft(str(uid), rows, drifts, model.label))
    if drafts:
        logger.info("accuracy watch: %d series drifted from %s's backtest", len(drafts), model.label)
    return insert_alerts(session, drafts, principal)


def live_figures(session: Session, model_version: str) -> dict[str, float | int | None]:
    """n, MAE, MASE and coverage of one model version's forecasts with actuals, in SQL
    (the model card reads it on every call; no rows are loaded)."""
    f = Forecast
    error = func.abs(f.actual - f.mean)

    def share(level: int):
        lo, hi = getattr(f, f"lo_{level}"), getattr(f, f"hi_{level}")
        inside = case((and_(f.actual >= lo, f.actual <= hi), 1.0), else_=0.0)
        return func.avg(case((and_(lo.is_not(None), hi.is_not(None)), inside), else_=None))

    row = session.execute(
        select(func.count(), func.avg(error), func.avg(case((f.scale > 0, error / f.scale), else_=None)),
               share(80), share(95))
        .where(f.model_version == model_version, f.actual.is_not(None), f.mean.is_not(None))
    ).one()
    n, mae, mase, cov80, cov95 = row
    return {"n": int(n), "mae": mae, "mase": mase, "coverage80": cov80, "coverage95": cov95}
