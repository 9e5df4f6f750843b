"""Frequencies, season lengths and season keys of series.

One place decides how a series' time axis is read, so the detector, the forecaster and
the target rule agree on it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from govperf_ml.contracts import DataContractError

# canonical frequency -> (pandas offset alias, season length)
_FREQS = {
    "H": ("h", 24),
    "D": ("D", 7),
    "W": ("W-MON", 52),
    "M": ("MS", 12),
    "Q": ("QS", 4),
    "Y": ("YS", 1),
}


def _canonical(freq: str) -> str:
    f = freq.upper()
    for key in ("H", "D", "W", "M", "Q", "Y", "A"):
        if f.startswith(key) or f.startswith(key + "S"):
            return "Y" if key == "A" else key
    if f in ("MIN", "T"):
        return "H"
    raise DataContractError(f"unknown frequency {freq!r}; use one of {sorted(_FREQS)}", field="freq")


def canonical_freq(freq: str) -> str:
    """'MS', 'M', 'ME', 'month' -> 'M'; 'D' -> 'D'; 'W-SUN' -> 'W'; ..."""
    return _canonical(freq)


def infer_freq(ds: pd.Series | pd.DatetimeIndex) -> str:
    """Infer a series' canonical frequency from the median spacing of its timestamps."""
    ds = pd.DatetimeIndex(pd.Series(ds).dropna().sort_values().unique())
    if len(ds) < 2:
        return "M"
    days = np.median(np.diff(ds.asi8)) / 86_400e9
    if days < 0.9:
        return "H"
    if days < 3:
        return "D"
    if days < 20:
        return "W"
    if days < 60:
        return "M"
    if days < 200:
        return "Q"
    return "Y"


def season_length(freq: str) -> int:
    return _FREQS[_canonical(freq)][1]


def offset(freq: str) -> str:
    return _FREQS[_canonical(freq)][0]


def future_dates(last: pd.Timestamp, h: int, freq: str) -> pd.DatetimeIndex:
    """The h timestamps after ``last`` at frequency ``freq``, aligned like the history."""
    c = _canonical(freq)
    if c == "M":
        start = last + pd.offsets.MonthBegin(1) if last.day == 1 else last + pd.DateOffset(months=1)
        return pd.date_range(start, periods=h, freq="MS" if last.day == 1 else pd.DateOffset(months=1))
    if c == "Q":
        return pd.DatetimeIndex([last + pd.DateOffset(months=3 * k) for k in range(1, h + 1)])
    if c == "Y":
        return pd.DatetimeIndex([last + pd.DateOffset(years=k) for k in range(1, h + 1)])
    step = {"H": pd.Timedelta(hours=1), "D": pd.Timedelta(days=1), "W": pd.Timedelta(weeks=1)}[c]
    return pd.DatetimeIndex([last + step * k for k in range(1, h + 1)])


def season_keys(ds: pd.Series, freq: str, *, holiday_aware: bool = True) -> np.ndarray:
    """A categorical key per timestamp naming its place in the season.

    Monthly: the month; quarterly: the quarter; weekly and yearly: one key (no usable
    season in a few years of data). Daily: the weekday on ordinary days, with Chinese
    public holidays and adjusted rest days as their own key and adjusted working days
    (调休 weekends) pooled with ordinary working days. Hourly: hour of day × working day.
    """
    ds = pd.to_datetime(pd.Series(ds)).reset_index(drop=True)
    c = _canonical(freq)
    if c == "M":
        return ds.dt.month.to_numpy()
    if c == "Q":
        return ds.dt.quarter.to_numpy()
    if c in ("W", "Y"):
        return np.zeros(len(ds), dtype=int)
    dow = ds.dt.dayofweek.to_numpy()
    if not holiday_aware:
        return dow if c == "D" else ds.dt.hour.to_numpy() + 24 * (dow >= 5)
    from govperf_ml.calendar import calendar_features

    cal = calendar_features(ds.dt.normalize())
    workday = cal["is_workday"].to_numpy(dtype=bool)
    holiday = cal["is_holiday"].to_numpy(dtype=bool)
    if c == "D":
        # 0-4 ordinary weekdays, 5/6 weekend rest days, 7 adjusted working weekend day,
        # 8 public holiday or adjusted rest weekday
        key = dow.copy()
        key[workday & (dow >= 5)] = 7
        key[~workday & ((dow < 5) | holiday)] = 8
        return key
    return ds.dt.hour.to_numpy() + 24 * (~workday)
