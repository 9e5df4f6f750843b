"""Stored forecasts: idempotent storing of a forecaster's output, and reading it back.

A forecast *run* is one series forecast by one model version from one cutoff (the last
period of its history). Storing is keyed on (unique_id, ds, model_version, cutoff): rows
already stored are left exactly as they were, so storing a run again adds and replaces
nothing, and a longer horizon later only adds the new periods. Everything runs in the
caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

import pandas as pd
from sqlalchemy import Select, and_, func, select, tuple_
from sqlalchemy.orm import Session

from api.db import Forecast
from api.schemas.common import finite, period, py_datetime, series_frame
from api.schemas.forecasts import Interval, StoredForecast
from api.services import in_chunks
from govperf_ml.contracts import DataContractError, short
from govperf_ml.vocabulary import split_series_id

LEVELS = (80, 95)  # the stored interval levels (columns lo_80 ... hi_95)
_CHUNK = 400  # keys per IN (...) query: well under SQLite's bound-parameter limit


def exog_frames(body, exog: Sequence[str]) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The history frame (with the exogenous columns of ``x``) and the future ``X_df``.

    ``exog`` are the served model's exogenous columns: values for other names are refused,
    and future values are required exactly when the model has some.
    """
    exog = list(exog)
    history = series_frame(body.series)
    used = sorted({k for p in body.series for k in p.x} | {k for p in body.future or () for k in p.x})
    unknown = [k for k in used if k not in exog]
    if unknown:
        raise DataContractError(
            f"x: the served model uses {'exogenous columns ' + str(exog) if exog else 'no exogenous columns'}; "
            f"got {short(unknown)}",
            field="x",
        )
    for c in exog:
        history[c] = [p.x.get(c) if p.x.get(c) is not None else float("nan") for p in body.series]
    if not exog:
        return history, None
    if not body.future:
        raise DataContractError(
            f"future: the served model uses exogenous columns {exog}; send their values for the next h "
            "periods of every series",
            field="future",
        )
    missing = [(p.unique_id, c) for p in body.future for c in exog if c not in p.x]
    if missing:
        raise DataContractError(
            f"future: x lacks {missing[0][1]!r} for series {missing[0][0]!r}", field="future",
            ids=sorted({uid for uid, _ in missing}),
        )
    future = pd.DataFrame(
        {"unique_id": [p.unique_id for p in body.future], "ds": pd.to_datetime([period(p.ds) for p in body.future]),
         **{c: [p.x[c] for p in body.future] for c in exog}}
    )
    return history, future


def forecast_alias(estimator, frame: pd.DataFrame) -> str:
    """The point-forecast column of a forecaster's output: ``estimator.alias`` (the
    contract), else the one column that is neither a key nor an interval bound."""
    alias = getattr(estimator, "alias", None)
    if alias:
        return str(alias)
    candidates = [c for c in frame.columns if c not in ("unique_id", "ds") and "-lo-" not in c and "-hi-" not in c]
    if len(candidates) != 1:
        raise DataContractError(
            f"forecast: cannot tell the point-forecast column among {short(candidates)}", field="alias", ids=candidates
        )
    return str(candidates[0])


def split_id(unique_id: str) -> tuple[str, str]:
    """``<org_unit>|<channel>`` -> (org_unit, channel); an id without ``|`` has no channel."""
    org_unit, channel = split_series_id(unique_id)
    return org_unit, channel


@dataclass
class StoreResult:
    inserted: int = 0
    existing: int = 0
    series: int = 0


def store(
    session: Session,
    frame: pd.DataFrame,
    *,
    alias: str,
    cutoffs: Mapping[str, datetime | pd.Timestamp],
    model_version: str,
    run_id: int | None = None,
    scales: Mapping[str, float] | None = None,
) -> StoreResult:
    """Store a forecaster's output (``unique_id, ds, <alias>, <alias>-lo-80`` ...).

    Parameters
    ----------
    cutoffs
        unique_id -> the last period of the history that series was forecast from.
    model_version
        The forecaster's label (``LoadedModel.label``).

    Rows whose (unique_id, ds, model_version, cutoff) is already stored are left as
    they were and counted in ``existing``. ``h_step`` is the row's rank after the cutoff
    within its series (1..h). With ``run_id`` (a new forecast run) every row is new and
    carries the run and, where ``frame`` has one, its ``level`` column. ``scales`` (unique_id
    -> MASE's scale of the history forecast from) lets the accuracy watch compute MASE once
    the actuals arrive.
    """
    if frame.empty:
        return StoreResult()
    uids = frame["unique_id"].astype(str)
    unknown = sorted(set(uids) - set(cutoffs))
    if unknown:
        raise DataContractError(f"forecast: no cutoff for {short(unknown)}", field="unique_id", ids=unknown)
    data = frame.assign(unique_id=uids, ds=pd.to_datetime(frame["ds"])).sort_values(["unique_id", "ds"], kind="stable")
    data = data.drop_duplicates(["unique_id", "ds"], keep="first").reset_index(drop=True)
    data["h_step"] = data.groupby("unique_id").cumcount() + 1
    cut = {str(k): py_datetime(v) for k, v in cutoffs.items()}

    series = sorted(set(data["unique_id"]))
    existing = _stored_keys(session, series, cut, model_version) if run_id is None else set()
    rows = _new_rows(data, existing, alias=alias, cut=cut, model_version=model_version)
    if run_id is not None:  # a new run: nothing was stored before, rows are data's rows in order
        levels = data["level"] if "level" in data.columns else [None] * len(data)
        for row, lv in zip(rows, levels, strict=True):
            row.run_id, row.level = run_id, (None if lv is None else str(lv))
            # a run's ids are the user's (up to 401 characters, any naming): the filter columns keep 200
            row.org_unit, row.channel = row.org_unit[:200], row.channel[:200]
    for row in rows:
        row.scale = finite((scales or {}).get(row.unique_id))
    session.add_all(rows)
    session.flush()
    return StoreResult(inserted=len(rows), existing=len(data) - len(rows), series=len(series))


def _stored_keys(session: Session, series: list[str], cut: dict[str, datetime], model_version: str) -> set:
    """(unique_id, ds) already stored for these series' cutoffs by ``model_version``."""
    existing: set[tuple[str, datetime]] = set()
    for chunk in in_chunks(series, _CHUNK):
        keys = [(u, cut[u]) for u in chunk]
        found = session.execute(
            select(Forecast.unique_id, Forecast.ds).where(
                Forecast.run_id.is_(None),
                Forecast.model_version == model_version,
                tuple_(Forecast.unique_id, Forecast.cutoff).in_(keys),
            )
        )
        existing.update((u, ds) for u, ds in found)
    return existing


def _new_rows(data: pd.DataFrame, existing: set, *, alias: str, cut: dict, model_version: str) -> list[Forecast]:
    def col(name: str) -> pd.Series:
        return data[name] if name in data.columns else pd.Series(None, index=data.index, dtype=object)

    columns = {
        "mean": col(alias),
        **{f"{side}_{lv}": col(f"{alias}-{side}-{lv}") for lv in LEVELS for side in ("lo", "hi")},
    }
    rows = []
    for idx, uid, ds, step in zip(data.index, data["unique_id"], data["ds"], data["h_step"], strict=True):
        when = py_datetime(ds)
        if (uid, when) in existing:
            continue
        org_unit, channel = split_id(uid)
        rows.append(
            Forecast(
                unique_id=uid,
                org_unit=org_unit,
                channel=channel,
                ds=when,
                h_step=int(step),
                cutoff=cut[uid],
                model_version=model_version,
                **{name: finite(values.at[idx]) for name, values in columns.items()},
            )
        )
    return rows


# ---------------------------------------------------------------------------------------
# Reading back
# ---------------------------------------------------------------------------------------
def _ranked_runs(series_filters: list):
    """Each series' runs (cutoff, model version), ranked latest first (rank 1: the latest
    cutoff and, among model versions forecasting from it, the one stored last)."""
    runs = (
        select(
            Forecast.unique_id,
            Forecast.cutoff,
            Forecast.model_version,
            func.max(Forecast.created_at).label("stored"),
        )
        .where(*series_filters)
        .group_by(Forecast.unique_id, Forecast.cutoff, Forecast.model_version)
        .subquery()
    )
    return select(
        runs.c.unique_id,
        runs.c.cutoff,
        runs.c.model_version,
        func.row_number()
        .over(
            partition_by=runs.c.unique_id,
            order_by=(runs.c.cutoff.desc(), runs.c.stored.desc(), runs.c.model_version.desc()),
        )
        .label("rank"),
    ).subquery()


def forecasts_query(
    *,
    unique_ids: Sequence[str] | None = None,
    org_unit: str | None = None,
    channel: str | None = None,
    model_version: str | None = None,
    ds_from: date | None = None,
    ds_to: date | None = None,
    cutoff: Literal["latest", "all"] = "latest",
    run_id: int | None = None,
) -> Select:
    """Stored forecasts matching the filters (not ordered, not paged).

    ``cutoff="latest"`` keeps, per series, only its latest run: the latest cutoff and,
    when several model versions forecast from it, the one stored last. The run is
    chosen among the series' runs matching ``model_version`` (when given), before the
    ``ds`` range is applied. Without ``run_id`` only the sample city's forecasts (stored
    without a run) are listed; with it, only that run's (one cutoff: ``cutoff`` is moot).
    """
    series_filters = [Forecast.run_id.is_(None) if run_id is None else Forecast.run_id == run_id]
    if unique_ids:
        series_filters.append(Forecast.unique_id.in_(list(unique_ids)))
    if org_unit is not None:
        series_filters.append(Forecast.org_unit == org_unit)
    if channel is not None:
        series_filters.append(Forecast.channel == channel)
    if model_version is not None:
        series_filters.append(Forecast.model_version == model_version)
    stmt = select(Forecast).where(*series_filters)
    if cutoff == "latest" and run_id is None:
        ranked = _ranked_runs(series_filters)
        stmt = stmt.join(
            ranked,
            and_(
                Forecast.unique_id == ranked.c.unique_id,
                Forecast.cutoff == ranked.c.cutoff,
                Forecast.model_version == ranked.c.model_version,
                ranked.c.rank == 1,
            ),
        )
    if ds_from is not None:
        stmt = stmt.where(Forecast.ds >= datetime(ds_from.year, ds_from.month, ds_from.day))
    if ds_to is not None:  # inclusive: every period of that day
        stmt = stmt.where(Forecast.ds < datetime(ds_to.year, ds_to.month, ds_to.day) + timedelta(days=1))
    return stmt


def page(session: Session, stmt: Select, *, limit: int, offset: int) -> list[Forecast]:
    order = (Forecast.unique_id, Forecast.ds, Forecast.cutoff.desc(), Forecast.model_version, Forecast.id)
    return list(session.execute(stmt.order_by(*order).limit(limit).offset(offset)).scalars())


def public(row: Forecast, levels: Iterable[int] = LEVELS) -> StoredForecast:
    return StoredForecast(
        unique_id=row.unique_id,
        org_unit=row.org_unit,
        channel=row.channel,
        ds=row.ds,
        h_step=row.h_step,
        mean=row.mean,
        intervals={
            str(lv): Interval(lo=getattr(row, f"lo_{lv}"), hi=getattr(row, f"hi_{lv}")) for lv in levels
        },
        model_version=row.model_version,
        cutoff=row.cutoff,
        created_at=row.created_at,
        run_id=row.run_id,
        level=row.level,
    )
