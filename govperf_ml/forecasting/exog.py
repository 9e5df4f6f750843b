"""Exogenous regressors: the columns a forecaster needs, and their future values.

A forecaster that uses exogenous columns (a campaign flag, a planned closure, a weather
forecast...) records their names in ``exog_`` when fitted; their values come as extra
columns of the training frame and, for the future, as ``X_df`` (``unique_id, ds`` and
those columns, one row per series and future period).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from govperf_ml.contracts import DS, ID, Y, DataContractError, short, validate_future
from govperf_ml.features.time import future_dates

__all__ = ["exog_columns", "exog_kwargs", "exog_names", "future_exog", "uses_exog"]


def exog_columns(est) -> tuple[str, ...]:
    """Exogenous columns a fitted forecaster (or any member of an ensemble) needs."""
    names = list(getattr(est, "exog_", ()))
    for m in getattr(est, "members_", ()):
        names += [c for c in exog_columns(m) if c not in names]
    return tuple(names)


def uses_exog(est) -> bool:
    """Whether a fitted forecaster needs the future values of exogenous columns (``X_df``)."""
    return bool(exog_columns(est))


def exog_kwargs(est, future: pd.DataFrame | None) -> dict:
    """``forecast`` keywords: ``{"X_df": future}`` for a forecaster that needs future
    exogenous values (``future`` holds them, extra columns and rows are fine), else none."""
    return {"X_df": future} if uses_exog(est) else {}


def exog_names(exog) -> tuple[str, ...]:
    """The ``exog`` parameter (None, one name or a sequence) as a checked tuple of names."""
    if exog is None:
        return ()
    if isinstance(exog, str):
        exog = [exog]
    names = tuple(str(c) for c in exog)
    clash = [c for c in names if c in (ID, DS, Y)]
    if clash:
        raise DataContractError(f"exog: {clash[0]!r} is a series column, not an exogenous one", field="exog")
    if len(set(names)) != len(names):
        raise DataContractError(f"exog: names must be distinct; got {list(names)}", field="exog")
    return names


def future_exog(X_df, exog, ids, last_ds, h: int, freq: str) -> dict:
    """Each series' ``h`` future exogenous rows from ``X_df`` (``{id: array}``), checked.

    ``ids`` and ``last_ds`` are the series and their last observed timestamps.
    """
    if X_df is None:
        raise DataContractError(
            f"X_df: the model uses exogenous columns {list(exog)}; pass their future values as X_df "
            f"(unique_id, ds, {', '.join(exog)}; {h} rows per series)",
            field="X_df",
        )
    fut = validate_future(X_df, exog)
    fut = fut.set_index([ID, DS])[list(exog)]
    out, lacking = {}, []
    for uid, last in zip(ids, last_ds):
        want = pd.MultiIndex.from_arrays([[uid] * h, future_dates(last, h, freq)])
        rows = fut.reindex(want)
        if rows.isna().any().any():
            lacking.append(uid)
            continue
        out[uid] = rows.to_numpy(dtype=float)
    if lacking:
        raise DataContractError(
            f"X_df: exogenous values missing for some of the {h} future periods of series {short(lacking)}",
            field="X_df",
            ids=lacking,
        )
    return out


def rows_at(x: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Rows ``idx`` of an exogenous matrix ``x``; NaN for indices past its end."""
    idx = np.asarray(idx, dtype=np.int64)
    out = np.full((len(idx), x.shape[1]), np.nan)
    ok = idx < len(x)
    out[ok] = x[idx[ok]]
    return out
