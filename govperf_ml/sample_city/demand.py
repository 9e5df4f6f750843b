"""Daily demand: 12345 hotline calls and service-hall applications, and their events."""

from __future__ import annotations

import numpy as np
import pandas as pd

from govperf_ml import contracts as C
from govperf_ml.sample_city.common import ar1, long_frame
from govperf_ml.sample_city.spec import N_DEMAND_EVENTS, NB_R
from govperf_ml.vocabulary import series_id


def generate_demand(rng, districts: pd.DataFrame, days: pd.DatetimeIndex, cal: pd.DataFrame):
    """Clean daily demand per district and channel, the city as their sum; and its metadata."""
    effects = _day_effects(days, cal)
    t_years = (days - days[0]).days.to_numpy() / 365.25
    rows_meta = []
    clean = {}
    for channel, per10k, trend_core, trend_new, unit in (
        ("hotline", 11.0, 0.05, 0.12, "calls"),
        ("service_hall", 4.5, -0.04, 0.05, "applications"),
    ):
        day_eff, year_eff = effects[channel]
        city_id = series_id("CITY", channel)
        total = np.zeros(len(days))
        for d in districts.itertuples(index=False):
            trend = trend_new if d.peer_group == "new_zone" else trend_core
            trend = trend * rng.lognormal(0, 0.2)
            e = ar1(rng.normal(size=len(days)), 0.5)
            mu = d.population_10k * per10k * rng.uniform(0.85, 1.15) * day_eff * year_eff * np.exp(trend * t_years + 0.05 * e)
            y = rng.negative_binomial(NB_R, NB_R / (NB_R + mu)).astype(float)
            uid = series_id(d.org_unit, channel)
            clean[uid] = y
            total += y
            rows_meta.append(_meta_row(uid, d.org_unit, channel, city_id, "district", unit))
        clean[city_id] = total
        rows_meta.append(_meta_row(city_id, "CITY", channel, "", "city", unit))
    meta = pd.DataFrame(rows_meta).sort_values(C.ID, kind="stable").reset_index(drop=True)
    return _frame(meta, days, clean), meta


def _meta_row(uid: str, org_unit: str, channel: str, parent: str, level: str, unit: str) -> dict:
    return {C.ID: uid, C.ORG_UNIT: org_unit, "channel": channel, "parent": parent, "level": level,
            C.UNIT: unit, C.DIMENSION: "demand", C.FREQUENCY: "D"}


def _frame(meta: pd.DataFrame, days: pd.DatetimeIndex, by_id: dict) -> pd.DataFrame:
    """The long daily frame of every series in ``meta``, in its order."""
    ids = meta[C.ID].to_numpy()
    return long_frame(ids, days, np.vstack([by_id[u] for u in ids]))


def _day_effects(days: pd.DatetimeIndex, cal: pd.DataFrame) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """channel -> (day-of-week and holiday effect, time-of-year effect), multiplicative."""
    dow = days.dayofweek.to_numpy()
    work = cal["is_workday"].to_numpy()
    hol = cal["is_holiday"].to_numpy()
    # the first working day after a rest run of 3+ days: people come back with their errands
    after_long = work & (_rest_run(work) >= 3)
    after_long2 = np.r_[False, after_long[:-1]] & work
    sf_core = hol & (cal["holiday_name"].to_numpy() == "Spring Festival")
    month_end = _month_end(days, work)

    # hotline: open every day; quieter on rest days and much quieter on holidays
    hot_day = np.where(work, 1.0, np.where(dow == 5, 0.72, 0.64))
    hot_day = np.where(hol, 0.5, hot_day)
    hot_day = np.where(sf_core, 0.38, hot_day)
    hot_day = hot_day * np.where(after_long, 1.18, 1.0) * np.where(dow == 0, 1.05, 1.0)
    doy = days.dayofyear.to_numpy()
    hot_year = 1 + 0.12 * np.exp(-0.5 * ((doy - 200) / 28.0) ** 2) + 0.07 * np.exp(-0.5 * ((doy - 335) / 20.0) ** 2)
    # service halls: closed on holidays, a Saturday-morning window, rushes after holidays
    hall_day = np.where(work, 1.0, np.where(dow == 5, 0.16, 0.03))
    hall_day = np.where(hol, 0.02, hall_day)
    hall_day = hall_day * np.where(after_long, 1.4, 1.0) * np.where(after_long2, 1.15, 1.0) * np.where(month_end & work, 1.08, 1.0)
    hall_year = 1 + np.select(
        [days.month == 3, days.month == 8, days.month == 12, days.month == 2], [0.1, 0.06, 0.07, -0.08], 0.0
    )
    return {"hotline": (hot_day, hot_year), "service_hall": (hall_day, hall_year)}


def _rest_run(work: np.ndarray) -> np.ndarray:
    """How many rest days directly precede each day."""
    rest_run = np.zeros(len(work), dtype=int)
    for t in range(1, len(work)):
        rest_run[t] = rest_run[t - 1] + 1 if not work[t - 1] else 0
    return rest_run


def _month_end(days: pd.DatetimeIndex, work: np.ndarray) -> np.ndarray:
    """The last three working days of each month."""
    month_end = np.zeros(len(days), dtype=bool)
    period = days.to_period("M")
    for p in np.unique(period):
        idx = np.flatnonzero((period == p) & work)
        month_end[idx[-3:]] = True
    return month_end


def inject_demand_events(rng, demand_clean: pd.DataFrame, meta: pd.DataFrame, cal: pd.DataFrame, book) -> pd.DataFrame:
    """A few labelled district events: burst of calls (spike), service outage (dip).

    The city totals are recomputed from the districts, so they carry a diluted copy of
    each event; only the district rows are labelled.
    """
    days = cal.index
    n_t = len(days)
    work = cal["is_workday"].to_numpy()
    district_meta = meta[meta["level"] == "district"]
    wide = {uid: g[C.Y].to_numpy().copy() for uid, g in demand_clean.groupby(C.ID, sort=False)}
    busy: dict[str, list[int]] = {}
    for kind, n in N_DEMAND_EVENTS.items():
        made = 0
        while made < n:
            row = district_meta.iloc[int(rng.integers(len(district_meta)))]
            uid, channel = row[C.ID], row["channel"]
            if kind == "spike" and channel != "hotline":
                continue
            t0 = int(rng.integers(min(60, n_t // 4), n_t - 3))
            if not work[t0]:
                continue
            L = int(rng.integers(1, 3)) if kind == "spike" else 1
            if any(abs(t0 - b) < 10 for b in busy.get(uid, [])):
                continue
            busy.setdefault(uid, []).append(t0)
            y = wide[uid]
            if kind == "spike":
                factor = rng.uniform(2.0, 3.5)
                note = f"a burst of calls (x{factor:.1f}) about a water-main break / power cut"
            else:
                factor = rng.uniform(0.1, 0.35)
                note = f"a system outage cut {'calls taken' if channel == 'hotline' else 'applications'} to x{factor:.2f}"
            y[t0 : t0 + L] = np.round(y[t0 : t0 + L] * factor)
            ds = days[t0 : t0 + L]
            book.add(uid, kind, ds[0], ds[-1], ds, factor, note)
            made += 1
    for parent, g in district_meta.groupby("parent", sort=False):
        wide[parent] = np.sum([wide[u] for u in g[C.ID]], axis=0)
    return _frame(meta, days, wide)
