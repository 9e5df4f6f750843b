"""The monthly KPIs of every district: peer structure, trend, season, AR(1) noise."""

from __future__ import annotations

import numpy as np
import pandas as pd

from govperf_ml import contracts as C
from govperf_ml.sample_city.common import ar1, long_frame
from govperf_ml.sample_city.spec import CHANGES, NB_R, PEER_GROUPS, SPEC
from govperf_ml.vocabulary import series_id


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
    """Every indicator for every district: metadata, values (S, T) and each series' noise sd."""
    rows, blocks, sds = [], [], []
    for spec in SPEC.itertuples(index=False):
        y, sd = _indicator_values(rng, spec, districts, months, mf)
        blocks.append(np.round(y, int(spec.decimals)))
        sds.append(sd)
        rows.extend(_indicator_rows(spec, districts))
    indicators = pd.DataFrame(rows)
    values = _break_natural_runs(np.vstack(blocks), indicators)
    return {"indicators": indicators, "values": values, "sd": np.concatenate(sds)}


def _upper(spec):
    """The indicator's upper bound, or None."""
    return spec.hi if spec.hi is not None and not pd.isna(spec.hi) else None


def _indicator_values(rng, spec, districts: pd.DataFrame, months: pd.DatetimeIndex, mf: pd.DataFrame):
    """One indicator over all districts, unrounded, and each district's noise sd."""
    n_d, n_t = len(districts), len(months)
    groups = districts["peer_group"].to_numpy()
    # peer structure: three separated group levels, districts scattered around them
    order = rng.permutation(3) - 1.0
    g_off = {g: spec.group_sd * (order[i] + rng.normal(0, 0.15)) for i, g in enumerate(PEER_GROUPS)}
    d_off = np.array([g_off[g] for g in groups]) + rng.normal(0, spec.district_sd, n_d)
    trend_mult = np.where(groups == "new_zone", 1.4, np.where(groups == "urban_core", 0.8, 1.0))
    trend = spec.trend * trend_mult * rng.lognormal(0, 0.25, n_d)
    noise_sd = spec.noise * rng.uniform(0.8, 1.25, n_d)
    e = ar1(rng.normal(size=(n_d, n_t)), 0.35)
    t_years = mf["t_years"].to_numpy()
    if spec.kind == "count":
        pop = districts["population_10k"].to_numpy(dtype=float)
        log_mu = (
            np.log(spec.base * pop)[:, None]
            + d_off[:, None]
            + trend[:, None] * t_years[None, :]
            + _season(spec, mf)[None, :]
            + spec.noise * e
        )
        return _counts(rng, spec, np.exp(log_mu))
    if spec.kind == "ytd":
        m = mf["ytd"].to_numpy()
        level = spec.base + d_off[:, None] + trend[:, None] * t_years[None, :]
        year_end = _squash(level, 99.5, 2.0)
        # spending accelerates through the year and jumps in December (cycle end)
        path = year_end * np.where(m < 1.0, 0.88 * m**1.2, 1.0)[None, :]
        y = path + noise_sd[:, None] * np.sqrt(m)[None, :] * e
        return np.clip(y, 0.5, 100.0), noise_sd.copy()
    mu = (
        spec.base + d_off[:, None] + trend[:, None] * t_years[None, :]
        + _season(spec, mf)[None, :] + _announced_change(spec, months)[None, :]
    )
    if spec.kind == "rate":
        # improvement slows down near 100%: the mean stays 2.5 noise sd below it
        mu = _squash(mu, float(spec.hi) - 2.5 * spec.noise, 3.0 * spec.noise)
    y = mu + noise_sd[:, None] * e
    return np.clip(y, spec.lo, _upper(spec)), noise_sd.copy()


def _counts(rng, spec, mu: np.ndarray):
    """Negative-binomial counts around ``mu`` and their sd (sampling and level noise)."""
    y = rng.negative_binomial(NB_R, NB_R / (NB_R + mu)).astype(float)
    m = mu.mean(axis=1)
    return y, np.sqrt(m + m**2 / NB_R + (spec.noise * m) ** 2)


def _season(spec, mf: pd.DataFrame) -> np.ndarray:
    """The indicator's seasonal effect per month (its coefficients on the month features)."""
    season = np.zeros(len(mf))
    for feat, coef in spec.season.items():
        season = season + coef * mf[feat].to_numpy()
    return season


def _announced_change(spec, months: pd.DatetimeIndex) -> np.ndarray:
    """The announced city-wide level changes of this indicator, per month."""
    change = np.zeros(len(months))
    for ds, ind, eff, _ in CHANGES:
        if ind == spec.indicator:
            change = change + eff * (months >= pd.Timestamp(ds))
    return change


def _indicator_rows(spec, districts: pd.DataFrame) -> list[dict]:
    """The indicator metadata of one indicator, one row per district."""
    hi = _upper(spec)
    return [
        {
            C.ID: series_id(d.org_unit, spec.indicator),
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
            "upper_bound": float(hi) if hi is not None else np.nan,
            "decimals": int(spec.decimals),
        }
        for d in districts.itertuples(index=False)
    ]


def _break_natural_runs(values: np.ndarray, indicators: pd.DataFrame) -> np.ndarray:
    """Rounding can repeat a value by chance; break natural runs of three equal values by
    one rounding unit, so that any run of 3+ equal values is an injected flat line."""
    unit = 10.0 ** -indicators["decimals"].to_numpy(dtype=float)
    hi = indicators["upper_bound"].to_numpy(dtype=float)
    for t in range(2, values.shape[1]):
        rep = (values[:, t] == values[:, t - 1]) & (values[:, t - 1] == values[:, t - 2])
        if rep.any():
            up = values[:, t] + unit
            nudged = np.where(np.isfinite(hi) & (up > hi), values[:, t] - unit, up)
            values[rep, t] = np.round(nudged[rep], indicators["decimals"].to_numpy()[rep].max())
    return values


def long_series(ids: np.ndarray, months: pd.DatetimeIndex, values: np.ndarray) -> pd.DataFrame:
    """Monthly values (S, T) as a long frame sorted by series and month."""
    return long_frame(ids, months, values).sort_values([C.ID, C.DS], kind="stable").reset_index(drop=True)
