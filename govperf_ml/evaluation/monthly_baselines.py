"""Baselines the monthly anomaly bench compares the served pipeline with (scores only).

Each takes a long frame ``unique_id, ds, y`` (sorted by series and time) and returns one
non-negative score per row, higher = more anomalous; the bench picks each baseline's
threshold on the in-corpus panels and keeps it for the held-out one.

* :func:`yoy_robust_z` — the naive year-on-year robust z: ``d = y_t − y_{t−12}`` against
  the median and 1.4826 × MAD of the last 36 earlier ``d`` (causal);
* :func:`windowed_gaussian` — NAB's windowed Gaussian
  (:func:`~govperf_ml.evaluation.nab_baselines.windowed_gaussian_scores`) with a 24-month
  window moving every month;
* :func:`isolation_forest` — scikit-learn's IsolationForest on three per-series robustly
  standardised features (the value, its change from last month and from a year ago),
  fitted on the whole panel (not causal: it sees the future of every series).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.ensemble import IsolationForest

from govperf_ml.contracts import ID, Y
from govperf_ml.evaluation.nab_baselines import windowed_gaussian_scores

__all__ = ["BASELINES", "isolation_forest", "windowed_gaussian", "yoy_robust_z"]

MAD_TO_SIGMA = 1.4826


def yoy_robust_z(df: pd.DataFrame, *, window: int = 36, min_periods: int = 12) -> np.ndarray:
    g = df.groupby(ID, sort=False)[Y]
    d = df[Y] - g.shift(12)
    dg = d.groupby(df[ID], sort=False)
    med = dg.transform(lambda v: v.shift(1).rolling(window, min_periods=min_periods).median())
    dev = (d - med).abs()
    mad = dev.groupby(df[ID], sort=False).transform(
        lambda v: v.shift(1).rolling(window, min_periods=min_periods).median())
    scale = np.maximum(MAD_TO_SIGMA * mad.to_numpy(), 1e-9 + 1e-3 * np.abs(med.to_numpy()))
    return np.nan_to_num(np.abs((d - med).to_numpy()) / scale, nan=0.0)


def windowed_gaussian(df: pd.DataFrame, *, window: int = 24) -> np.ndarray:
    out = np.zeros(len(df))
    y = df[Y].to_numpy(dtype=float)
    for idx in df.groupby(ID, sort=False).indices.values():
        v = y[idx]
        ok = np.isfinite(v)
        s = np.zeros(len(v))
        s[ok] = windowed_gaussian_scores(v[ok], window_size=window, step_size=1)
        out[idx] = s
    return out


def _robust_std(v: pd.Series, by: pd.Series) -> np.ndarray:
    med = v.groupby(by, sort=False).transform("median")
    mad = (v - med).abs().groupby(by, sort=False).transform("median")
    return np.nan_to_num(((v - med) / (MAD_TO_SIGMA * mad + 1e-9)).to_numpy(), nan=0.0)


def isolation_forest(df: pd.DataFrame, *, seed: int = 0, max_fit: int = 20_000) -> np.ndarray:
    g = df.groupby(ID, sort=False)[Y]
    feats = np.column_stack([_robust_std(df[Y], df[ID]), _robust_std(df[Y] - g.shift(1), df[ID]),
                             _robust_std(df[Y] - g.shift(12), df[ID])])
    feats = np.clip(feats, -50, 50)
    rng = np.random.default_rng(seed)
    fit_rows = rng.choice(len(feats), size=min(max_fit, len(feats)), replace=False)
    model = IsolationForest(n_estimators=100, random_state=seed).fit(feats[fit_rows])
    return -model.score_samples(feats)


#: name → (score function, threshold grid the bench chooses from on the in-corpus panels)
BASELINES = {
    "naive year-on-year robust z": (yoy_robust_z, (3.0, 3.5, 4.0, 5.0, 6.0, 8.0)),
    "windowed Gaussian (24 months)": (windowed_gaussian, (0.99, 0.999, 0.9999, 0.99999)),
    "IsolationForest (scikit-learn)": (isolation_forest, (0.55, 0.6, 0.65, 0.7, 0.75)),
}
