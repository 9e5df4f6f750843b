"""Daily demand: 12345 hotline calls and service-hall applications, and their events."""

from __future__ import annotations

import numpy as np
import pandas as pd

from govperf_ml import contracts as C
from govperf_ml.sample_city.spec import N_DEMAND_EVENTS, NB_R


def generate_demand(rng, districts: pd.DataFrame, days: pd.DatetimeIndex, cal: pd.DataFrame):
    n_t = len(days)
    doy = days.dayofyear.to_numpy()
    dow = days.dayofweek.to_numpy()
    work = cal["is_workday"].to_numpy()
    hol = cal["is_holiday"].to_numpy()
    name = cal["holiday_name"].to_numpy()
    t_years = (days - days[0]).days.to_numpy() / 365.25
    # the first working day after a rest run of 3+ days: people come back with their errands
    rest_run = np.zeros(n_t, dtype=int)
    for t in range(1, n_t):
        rest_run[t] = rest_run[t - 1] + 1 if not work[t - 1] else 0
    after_long = work & (rest_run >= 3)
    after_long2 = np.r_[False, after_long[:-1]] & work
    sf_core = hol & (name == "Spring Festival")
    month_end = np.zeros(n_t, dtype=bool)
    period = days.to_period("M")
    for p in np.unique(period):
        idx = np.flatnonzero((period == p) & work)
        month_end[idx[-3:]] = True

    # hotline: open every day; quieter on rest days and much quieter on holidays
    hot_day = np.where(work, 1.0, np.where(dow == 5, 0.72, 0.64))
    hot_day = np.where(hol, 0.5, hot_day)
    hot_day = np.where(sf_core, 0.38, hot_day)
    hot_day = hot_day * np.where(after_long, 1.18, 1.0) * np.where(dow == 0, 1.05, 1.0)
    hot_year = 1 + 0.12 * np.exp(-0.5 * ((doy - 200) / 28.0) ** 2) + 0.07 * np.exp(-0.5 * ((doy - 335) / 20.0) ** 2)
    # service halls: closed on holidays, a Saturday-morning window, rushes after holidays
    hall_day = np.where(work, 1.0, np.where(dow == 5, 0.16, 0.03))
    hall_day = np.where(hol, 0.02, hall_day)
    hall_day = hall_day * np.where(after_long, 1.4, 1.0) * np.where(after_long2, 1.15, 1.0) * np.where(month_end & work, 1.08, 1.0)
    hall_year = 1 + np.select(
        [days.month == 3, days.month == 8, days.month == 12, days.month == 2], [0.1, 0.06, 0.07, -0.08], 0.0
    )

    rows_meta = []
    clean = {}
    for channel, per10k, day_eff, year_eff, trend_core, trend_new, unit in (
        ("hotline", 11.0, hot_day, hot_year, 0.05, 0.12, "calls"),
        ("service_hall", 4.5, hall_day, hall_year, -0.04, 0.05, "applications"),
    ):
        city_id = f"CITY|{channel}"
        total = np.zeros(n_t)
        for d in districts.itertuples(index=False):
            trend = trend_new if d.peer_group == "new_zone" else trend_core
            trend = trend * rng.lognormal(0, 0.2)
            z = rng.normal(size=n_t)
            e = np.empty(n_t)
            e[0] = z[0]
            for t in range(1, n_t):
                e[t] = 0.5 * e[t - 1] + np.sqrt(1 - 0.25) * z[t]
            mu = d.population_10k * per10k * rng.uniform(0.85, 1.15) * day_eff * year_eff * np.exp(trend * t_years + 0.05 * e)
            y = rng.negative_binomial(NB_R, NB_R / (NB_R + mu)).astype(float)
            uid = f"{d.org_unit}|{channel}"
            clean[uid] = y
            total += y
            rows_meta.append({C.ID: uid, C.ORG_UNIT: d.org_unit, "channel": channel, "parent": city_id, "level": "district",
                              C.UNIT: unit, C.DIMENSION: "demand", C.FREQUENCY: "D"})
        clean[city_id] = total
        rows_meta.append({C.ID: city_id, C.ORG_UNIT: "CITY", "channel": channel, "parent": "", "level": "city",
                          C.UNIT: unit, C.DIMENSION: "demand", C.FREQUENCY: "D"})
    meta = pd.DataFrame(rows_meta).sort_values(C.ID, kind="stable").reset_index(drop=True)
    ids = meta[C.ID].to_numpy()
    frame = pd.DataFrame(
        {
            C.ID: np.repeat(ids, n_t),
            C.DS: np.tile(days.to_numpy(), len(ids)),
            C.Y: np.concatenate([clean[u] for u in ids]),
        }
    )
    return frame, meta


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
    ids = meta[C.ID].to_numpy()
    return pd.DataFrame(
        {
            C.ID: np.repeat(ids, n_t),
            C.DS: np.tile(days.to_numpy(), len(ids)),
            C.Y: np.concatenate([wide[u] for u in ids]),
        }
    )
