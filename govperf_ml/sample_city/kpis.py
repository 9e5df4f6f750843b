"""The monthly KPIs of every district: peer structure, trend, season, AR(1) noise."""

from __future__ import annotations

import numpy as np
import pandas as pd

from govperf_ml import contracts as C
from govperf_ml.sample_city.spec import CHANGES, NB_R, PEER_GROUPS, SPEC


def month_features(months: pd.DatetimeIndex, cal: pd.DataFrame) -> pd.DataFrame:
    """Monthly calendar covariates in [0, 1]-ish units, used by the KPI generator."""
    period = cal.index.to_period("M")
    sf = (cal["holiday_name"] == "Spring Festival").groupby(period).sum() / 7.0
    other = ((cal["holiday_name"] != "") & (cal["holiday_name"] != "Spring Festival")).groupby(period).sum() / 7.0
    mp = months.to_period("M")
    m = months.month.to_numpy()
    out = pd.DataFrame(
        {
            "sf": sf.reindex(mp, fill_value=0).to_numpy(dtype=float).clip(0, 1.2),
            "hol": other.reindex(mp, fill_value=0).to_numpy(dtype=float).clip(0, 1.2),
            "winter": np.cos(2 * np.pi * (m - 1) / 12.0),
            "dec": (m == 12).astype(float),
            "ytd": m / 12.0,
            "t_years": (np.arange(len(months)) / 12.0),
        },
        index=months,
    )
    return out



def _squash(x: np.ndarray, hi: float, margin: float) -> np.ndarray:
    """Smoothly compress values that approach an upper bound (keeps rates below 100)."""
    knee = hi - margin
    over = x > knee
    y = x.copy()
    y[over] = hi - margin * np.exp(-(x[over] - knee) / margin)
    return y


def generate_kpis(rng, districts: pd.DataFrame, months: pd.DatetimeIndex, mf: pd.DataFrame) -> dict:
    n_d, n_t = len(districts), len(months)
    groups = districts["peer_group"].to_numpy()
    pop = districts["population_10k"].to_numpy(dtype=float)
    t_years = mf["t_years"].to_numpy()
    rows, blocks, sds = [], [], []
    for spec in SPEC.itertuples(index=False):
        # peer structure: three separated group levels, districts scattered around them
        order = rng.permutation(3) - 1.0
        g_off = {g: spec.group_sd * (order[i] + rng.normal(0, 0.15)) for i, g in enumerate(PEER_GROUPS)}
        d_off = np.array([g_off[g] for g in groups]) + rng.normal(0, spec.district_sd, n_d)
        trend_mult = np.where(groups == "new_zone", 1.4, np.where(groups == "urban_core", 0.8, 1.0))
        trend = spec.trend * trend_mult * rng.lognormal(0, 0.25, n_d)
        noise_sd = spec.noise * rng.uniform(0.8, 1.25, n_d)
        season = np.zeros(n_t)
        for feat, coef in spec.season.items():
            season = season + coef * mf[feat].to_numpy()
        change = np.zeros(n_t)
        for ds, ind, eff, _ in CHANGES:
            if ind == spec.indicator:
                change = change + eff * (months >= pd.Timestamp(ds))
        # AR(1) noise, phi = 0.35
        z = rng.normal(size=(n_d, n_t))
        e = np.empty_like(z)
        e[:, 0] = z[:, 0]
        for t in range(1, n_t):
            e[:, t] = 0.35 * e[:, t - 1] + np.sqrt(1 - 0.35**2) * z[:, t]
        if spec.kind == "count":
            log_mu = (
                np.log(spec.base * pop)[:, None]
                + d_off[:, None]
                + trend[:, None] * t_years[None, :]
                + season[None, :]
                + spec.noise * e
            )
            mu = np.exp(log_mu)
            y = rng.negative_binomial(NB_R, NB_R / (NB_R + mu)).astype(float)
            sd = np.sqrt(mu.mean(axis=1) + mu.mean(axis=1) ** 2 / NB_R + (spec.noise * mu.mean(axis=1)) ** 2)
        elif spec.kind == "ytd":
            m = mf["ytd"].to_numpy()
            level = spec.base + d_off[:, None] + trend[:, None] * t_years[None, :]
            year_end = _squash(level, 99.5, 2.0)
            # spending accelerates through the year and jumps in December (cycle end)
            path = year_end * np.where(m < 1.0, 0.88 * m**1.2, 1.0)[None, :]
            y = path + noise_sd[:, None] * np.sqrt(m)[None, :] * e
            y = np.clip(y, 0.5, 100.0)
            sd = noise_sd.copy()
        else:
            mu = spec.base + d_off[:, None] + trend[:, None] * t_years[None, :] + season[None, :] + change[None, :]
            if spec.kind == "rate":
                # improvement slows down near 100%: the mean stays 2.5 noise sd below it
                mu = _squash(mu, float(spec.hi) - 2.5 * spec.noise, 3.0 * spec.noise)
            y = mu + noise_sd[:, None] * e
            y = np.clip(y, spec.lo, spec.hi if spec.hi is not None and not pd.isna(spec.hi) else None)
            sd = noise_sd.copy()
        y = np.round(y, int(spec.decimals))
        blocks.append(y)
        sds.append(sd)
        for i, d in enumerate(districts.itertuples(index=False)):
            rows.append(
                {
                    C.ID: f"{d.org_unit}|{spec.indicator}",
                    C.ORG_UNIT: d.org_unit,
                    "org_unit_name": d.org_unit_name,
                    "peer_group": d.peer_group,
                    C.INDICATOR: spec.indicator,
                    "indicator_name_zh": spec.indicator_name_zh,
                    C.UNIT: spec.unit,
                    C.DIMENSION: spec.dimension,
                    C.DIRECTION: spec.direction,
                    C.FREQUENCY: "M",
                    C.AGGREGATION: spec.aggregation,
                    "value_type": spec.kind,
                    "lower_bound": float(spec.lo) if spec.lo is not None else np.nan,
                    "upper_bound": float(spec.hi) if spec.hi is not None and not pd.isna(spec.hi) else np.nan,
                    "decimals": int(spec.decimals),
                }
            )
    indicators = pd.DataFrame(rows)
    values = np.vstack(blocks)
    # rounding can repeat a value by chance; break natural runs of three equal values by
    # one rounding unit, so that any run of 3+ equal values is an injected flat line
    unit = 10.0 ** -indicators["decimals"].to_numpy(dtype=float)
    hi = indicators["upper_bound"].to_numpy(dtype=float)
    for t in range(2, values.shape[1]):
        rep = (values[:, t] == values[:, t - 1]) & (values[:, t - 1] == values[:, t - 2])
        if rep.any():
            up = values[:, t] + unit
            nudged = np.where(np.isfinite(hi) & (up > hi), values[:, t] - unit, up)
            values[rep, t] = np.round(nudged[rep], indicators["decimals"].to_numpy()[rep].max())
    return {"indicators": indicators, "values": values, "sd": np.concatenate(sds)}


def long_series(ids: np.ndarray, months: pd.DatetimeIndex, values: np.ndarray) -> pd.DataFrame:
    n_s, n_t = values.shape
    df = pd.DataFrame(
        {
            C.ID: np.repeat(ids, n_t),
            C.DS: np.tile(months.to_numpy(), n_s),
            C.Y: values.reshape(-1),
        }
    )
    return df.sort_values([C.ID, C.DS], kind="stable").reset_index(drop=True)
