"""Chinese public holidays and adjusted working days (调休) as calendar features.

The official calendar comes from the ``chinesecalendar`` package (import name
``chinese_calendar``), which transcribes the State Council's yearly holiday notices,
including the weekends that become working days and the weekdays that become rest days.
For years it does not cover (it raises ``NotImplementedError`` there, e.g. years after the
last published notice) the ``holidays`` package (``holidays.China``) is used instead, with
its substituted working weekends and the plain Monday–Friday rule. Its holiday names are
mapped to chinesecalendar's English names ("Spring Festival", "National Day" ...), and the
weekend days inside a holiday run take that holiday's name, as chinesecalendar does.

Nothing is downloaded: both packages ship their tables.

Public functions
----------------
``calendar_features(dates)``
    One row of features per input date, indexed like the input.
``working_days_in_period(start, end)``
    Number of official working days between two dates, both included.
``period_working_day_share(ds, freq="M")``
    For period data (monthly by default): days, working days, holidays and the share of
    working days in each period.
"""

from __future__ import annotations

import datetime as _dt
from functools import lru_cache

import numpy as np
import pandas as pd

from govperf_ml.contracts import DataContractError

__all__ = [
    "CALENDAR_COLUMNS",
    "MAX_HOLIDAY_DISTANCE",
    "calendar_features",
    "period_working_day_share",
    "working_days_in_period",
]

#: distances to the next / since the last holiday are capped at this many days
MAX_HOLIDAY_DISTANCE = 30

CALENDAR_COLUMNS = (
    "is_workday",
    "is_holiday",
    "is_adjusted_workday",
    "is_adjusted_rest",
    "holiday_name",
    "days_to_next_holiday",
    "days_since_last_holiday",
    "dow",
    "month",
    "day_of_year",
)

# holidays.China names (English) -> chinesecalendar names, matched by substring
_NAME_MAP = (
    ("new year's eve", "Spring Festival"),  # Chinese New Year's Eve, a holiday since 2025
    ("chinese new year", "Spring Festival"),
    ("spring festival", "Spring Festival"),
    ("new year", "New Year's Day"),
    ("tomb", "Tomb-sweeping Day"),
    ("qingming", "Tomb-sweeping Day"),
    ("labo", "Labour Day"),
    ("dragon boat", "Dragon Boat Festival"),
    ("mid-autumn", "Mid-autumn Festival"),
    ("national day", "National Day"),
    ("victory", "Anti-Fascist 70th Day"),
    ("anti-fascist", "Anti-Fascist 70th Day"),
)


def _map_name(name: str | None) -> str:
    if not name:
        return ""
    low = name.lower()
    if "substituted" in low or "day off" in low:
        return "?"  # a rest day swapped from a weekend: named after the nearest holiday
    for key, mapped in _NAME_MAP:
        if key in low:
            return mapped
    return name.split(" (")[0]


@lru_cache(maxsize=64)
def _fallback_year(year: int) -> dict[_dt.date, tuple[bool, str]]:
    """(is_workday, holiday_name) for every day of a year, from the ``holidays`` package."""
    import holidays  # imported lazily: only needed outside chinesecalendar's years

    cal = holidays.China(years=[year - 1, year, year + 1])
    first, last = _dt.date(year - 1, 12, 1), _dt.date(year + 1, 1, 31)
    days = [first + _dt.timedelta(days=i) for i in range((last - first).days + 1)]
    work = [bool(cal.is_working_day(d)) for d in days]
    names = [_map_name(cal.get(d)) if not w else "" for d, w in zip(days, work)]
    named = [i for i, n in enumerate(names) if n and n != "?"]
    # swapped rest days take the name of the nearest named holiday (within a week)
    for i, n in enumerate(names):
        if n == "?":
            near = min(named, key=lambda j: abs(j - i), default=None)
            names[i] = names[near] if near is not None and abs(near - i) <= 7 else "Holiday"
    # rest days in a run of rest days that holds a holiday belong to that holiday
    i = 0
    while i < len(days):
        if work[i]:
            i += 1
            continue
        j = i
        while j < len(days) and not work[j]:
            j += 1
        run_names = [n for n in names[i:j] if n]
        if run_names:
            for k in range(i, j):
                names[k] = names[k] or run_names[0]
        i = j
    return {d: (w, n) for d, w, n in zip(days, work, names) if d.year == year}


@lru_cache(maxsize=100_000)
def _day_info(day: _dt.date) -> tuple[bool, str]:
    """(is_workday, holiday_name) for one date; the name is "" unless a public holiday."""
    import chinese_calendar

    try:
        workday = bool(chinese_calendar.is_workday(day))
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return _fallback_year(day.year)[day]
    if workday or not on_holiday or not name:
        return workday, ""
    return workday, str(name)


def _as_dates(dates, what: str = "dates") -> tuple[pd.DatetimeIndex, pd.Index]:
    """Normalised dates (midnight) and the index the output should carry."""
    if isinstance(dates, pd.Series):
        index = dates.index
        values = dates
    elif isinstance(dates, pd.Index):
        index = dates
        values = dates
    else:
        values = list(dates) if not isinstance(dates, np.ndarray) else dates
        index = pd.RangeIndex(len(values))
    parsed = pd.DatetimeIndex(pd.to_datetime(values, errors="coerce", format="mixed"))
    if parsed.isna().any():
        bad = [v for v, p in zip(list(values), parsed) if pd.isna(p)]
        raise DataContractError(
            f"calendar: {what} has missing or unparseable dates (values {bad[:5]!r})", field="ds"
        )
    if parsed.tz is not None:
        parsed = parsed.tz_convert(None)
    return parsed.normalize(), index


def _day_table(first: pd.Timestamp, last: pd.Timestamp) -> pd.DataFrame:
    """Daily is_workday / holiday_name between two dates (both included)."""
    days = pd.date_range(first, last, freq="D")
    info = [_day_info(d) for d in days.date]
    return pd.DataFrame(
        {
            "is_workday": np.fromiter((w for w, _ in info), dtype=bool, count=len(info)),
            "holiday_name": [n for _, n in info],
        },
        index=days,
    )


def calendar_features(dates) -> pd.DataFrame:
    """Calendar features of Chinese working days and public holidays, one row per date.

    Parameters
    ----------
    dates : Series, DatetimeIndex or list of dates
        Daily (or finer: the time of day is dropped) dates. Repeats are fine; each
        distinct date is looked up once and cached.

    Returns
    -------
    DataFrame indexed like the input (a Series keeps its index, an Index is the index,
    anything else gets a RangeIndex) with columns

    - ``is_workday``: the official working-day status (adjusted working weekends included)
    - ``is_holiday``: a public holiday rest day (ordinary weekends are not)
    - ``is_adjusted_workday``: a Saturday/Sunday that is a working day (调休上班)
    - ``is_adjusted_rest``: a Monday–Friday that is not a working day (holidays included)
    - ``holiday_name``: English holiday name ("Spring Festival"), "" when not a holiday
    - ``days_to_next_holiday`` / ``days_since_last_holiday``: 0 on a holiday, capped at 30
    - ``dow`` (0 = Monday), ``month``, ``day_of_year``
    """
    days, index = _as_dates(dates)
    n = len(days)
    if n == 0:
        out = pd.DataFrame({c: pd.Series(dtype=object) for c in CALENDAR_COLUMNS}, index=index)
        return out
    pad = pd.Timedelta(days=MAX_HOLIDAY_DISTANCE + 1)
    first, last = days.min() - pad, days.max() + pad
    table = _day_table(first, last)
    work = table["is_workday"].to_numpy()
    names = table["holiday_name"].to_numpy(dtype=object)
    hol = names != ""
    m = len(table)
    pos = np.arange(m)
    big = np.iinfo(np.int64).max // 4
    nxt = np.minimum.accumulate(np.where(hol, pos, big)[::-1])[::-1]
    prv = np.maximum.accumulate(np.where(hol, pos, -big))
    to_next = np.minimum(nxt - pos, MAX_HOLIDAY_DISTANCE)
    since_last = np.minimum(pos - prv, MAX_HOLIDAY_DISTANCE)
    at = ((days - first) // pd.Timedelta(days=1)).to_numpy(dtype=np.int64)
    dow = days.dayofweek.to_numpy()
    weekend = dow >= 5
    w = work[at]
    return pd.DataFrame(
        {
            "is_workday": w,
            "is_holiday": hol[at],
            "is_adjusted_workday": w & weekend,
            "is_adjusted_rest": ~w & ~weekend,
            "holiday_name": pd.array(names[at], dtype=object),
            "days_to_next_holiday": to_next[at].astype(np.int64),
            "days_since_last_holiday": since_last[at].astype(np.int64),
            "dow": dow.astype(np.int64),
            "month": days.month.to_numpy().astype(np.int64),
            "day_of_year": days.dayofyear.to_numpy().astype(np.int64),
        },
        index=index,
    )


def working_days_in_period(start, end) -> int:
    """Number of official working days from ``start`` to ``end``, both included.

    Adjusted working weekends count, holidays and swapped rest days do not. Returns 0
    when ``end`` is before ``start``.
    """
    (first, last), _ = _as_dates([start, end], "start/end")
    if last < first:
        return 0
    return int(_day_table(first, last)["is_workday"].sum())


def period_working_day_share(ds, freq: str = "M") -> pd.DataFrame:
    """Working days of the period each date belongs to (monthly data: of each month).

    Parameters
    ----------
    ds : Series, DatetimeIndex or list of dates
        Any date inside the period (a month start, a month end ...).
    freq : str
        A pandas period frequency: "M" (default), "Q", "Y", "W" (weeks Monday–Sunday), "D".

    Returns
    -------
    DataFrame indexed like the input with integer columns ``n_days``,
    ``n_working_days`` and ``n_holidays`` (public holiday rest days) and the float
    ``working_day_share`` = n_working_days / n_days.
    """
    days, index = _as_dates(ds, "ds")
    period_freq = {"MS": "M", "ME": "M", "QS": "Q", "QE": "Q", "YS": "Y", "YE": "Y", "A": "Y"}.get(freq, freq)
    if period_freq == "W":
        period_freq = "W-SUN"
    if len(days) == 0:
        return pd.DataFrame(
            {c: pd.Series(dtype=float) for c in ("n_days", "n_working_days", "n_holidays", "working_day_share")},
            index=index,
        )
    periods = days.to_period(period_freq)
    uniq = periods.unique()
    first = uniq.min().start_time.normalize()
    last = uniq.max().end_time.normalize()
    table = _day_table(first, last)
    table_periods = table.index.to_period(period_freq)
    agg = pd.DataFrame(
        {
            "n_days": 1,
            "n_working_days": table["is_workday"].astype(np.int64).to_numpy(),
            "n_holidays": (table["holiday_name"] != "").astype(np.int64).to_numpy(),
        },
        index=table_periods,
    ).groupby(level=0).sum()
    out = agg.reindex(periods)
    out["working_day_share"] = out["n_working_days"] / out["n_days"]
    out.index = index
    return out
