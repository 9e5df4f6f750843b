"""Periods missing from a regular series: an absent row is a missing submission too.

Stateless scoring returns one row per row it is given, so a month that was never sent
(no row at all, rather than a row with a blank value) used to pass unseen.
:func:`absent_periods` finds, in every weekly, monthly or quarterly series, the periods
between its first and last value that have no row; :func:`with_absent_periods` adds them
as rows with a missing value, so the pipeline reports each as a data-quality problem
("no value reported for 2025-03").

Only series whose timestamps sit on one regular grid are looked at: all on month starts
(or all on month ends) for monthly data, quarter starts/ends for quarterly data, whole
weeks apart for weekly data. Daily and finer series are left alone (a service hall closed
on a holiday sends nothing, and that is not an error), and so is any series whose
timestamps fit no grid.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from govperf_ml.contracts import DS, ID, Y
from govperf_ml.features.time import infer_freq

__all__ = ["GAP_FREQS", "absent_periods", "with_absent_periods"]

#: the frequencies whose gaps are reported
GAP_FREQS = ("W", "M", "Q")


def _grid(ds: pd.DatetimeIndex, freq: str) -> tuple[np.ndarray, object] | None:
    """(period number of each timestamp, date offset of one period) or None when ``ds``
    fits no regular grid of ``freq``."""
    if freq == "W":
        days = (ds.asi8 - ds.asi8[0]) / 86_400e9
        if np.any(days % 7):
            return None
        return (days // 7).astype(np.int64), pd.DateOffset(weeks=1)
    midnight = bool((ds.normalize() == ds).all())
    step = 1 if freq == "M" else 3
    if not midnight:
        return None
    if ds.is_month_start.all() and (freq == "M" or ds.is_quarter_start.all()):
        offset = pd.offsets.MonthBegin(step)
    elif ds.is_month_end.all() and (freq == "M" or ds.is_quarter_end.all()):
        offset = pd.offsets.MonthEnd(step)
    else:
        return None
    months = ds.year.to_numpy() * 12 + ds.month.to_numpy()
    return ((months - months[0]) // step).astype(np.int64), offset


def _series_gaps(ds: pd.DatetimeIndex) -> list[pd.Timestamp]:
    """The absent periods of one sorted series (empty when it is not regular)."""
    if len(ds) < 3:
        return []
    freq = infer_freq(ds)
    if freq not in GAP_FREQS:
        return []
    grid = _grid(ds, freq)
    if grid is None:
        return []
    number, offset = grid
    if number[-1] + 1 == len(number):
        return []
    missing = np.setdiff1d(np.arange(number[-1] + 1), number)
    return [ds[0] + int(k) * offset for k in missing]


def absent_periods(df: pd.DataFrame, *, id_col: str = ID, time_col: str = DS) -> pd.DataFrame:
    """``unique_id, ds`` of every period absent from inside a regular series.

    ``df`` is a validated long frame (``ds`` datetime, ``(unique_id, ds)`` unique).
    """
    ds = pd.to_datetime(df[time_col])
    g = pd.DataFrame({id_col: df[id_col].to_numpy(), time_col: ds.to_numpy()})
    stats = g.groupby(id_col, sort=False)[time_col].agg(["min", "max", "size"])
    # cheap screen: a series spanning as many periods as it has rows has no gap, daily and
    # finer ones are not looked at; only the others are looked at one by one
    span = (stats["max"].dt.year - stats["min"].dt.year) * 12 + stats["max"].dt.month - stats["min"].dt.month
    days = stats["max"].sub(stats["min"]).dt.days
    step = days / stats["size"].sub(1).clip(lower=1)
    full = ((span + 1 == stats["size"]) | ((span // 3 + 1 == stats["size"]) & (step > 60))
            | ((days / 7 + 1 == stats["size"]) & (step < 20)))
    full = full | (step < 3) | (stats["size"] < 3)
    todo = stats.index[~full.to_numpy()]
    rows: list[tuple] = []
    if len(todo):
        sub = g[g[id_col].isin(todo)].sort_values([id_col, time_col], kind="stable")
        for uid, part in sub.groupby(id_col, sort=False):
            rows += [(uid, t) for t in _series_gaps(pd.DatetimeIndex(part[time_col]))]
    return pd.DataFrame(rows, columns=[id_col, time_col]).astype({time_col: "datetime64[ns]"})


def with_absent_periods(df: pd.DataFrame, *, id_col: str = ID, time_col: str = DS,
                        target_col: str = Y) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``df`` with a row of missing value for every absent period, and those periods.

    Other columns of the added rows are blank; the rows are sorted by series and time.
    """
    absent = absent_periods(df, id_col=id_col, time_col=time_col)
    if absent.empty:
        return df, absent
    add = absent.assign(**{target_col: np.nan})
    out = pd.concat([df, add], ignore_index=True)
    return out.sort_values([id_col, time_col], kind="stable").reset_index(drop=True), absent
