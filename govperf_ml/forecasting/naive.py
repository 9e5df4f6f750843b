"""Seasonal naive with empirical prediction intervals (the forecasting baseline).

The point forecast repeats the last observed season. The interval at horizon step j
uses the series' own history of k-season-ahead errors (k = ceil(j / m)): their
empirical quantiles are added to the point forecast, so intervals widen with the
horizon and follow each series' own noise, with no normality assumption.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from govperf_ml.contracts import DS, ID, Y, DataContractError, short, validate_series
from govperf_ml.features.time import canonical_freq, future_dates, infer_freq, season_length


def interval_columns(alias: str, level) -> list[str]:
    return [f"{alias}-{side}-{lv}" for lv in level for side in ("lo", "hi")]


def check_level(level) -> tuple[int, ...]:
    level = tuple(int(lv) for lv in level)
    bad = [lv for lv in level if not 0 < lv < 100]
    if bad:
        raise DataContractError(f"level: interval levels must lie in (0, 100); got {bad}", field="level")
    return level


def check_horizon(h) -> int:
    if not isinstance(h, (int, np.integer)) or h < 1:
        raise DataContractError(f"h: the horizon must be a positive integer; got {h!r}", field="h")
    return int(h)


def check_forecast_args(est, h, level) -> tuple[int, tuple[int, ...]]:
    """A fitted forecaster's ``forecast`` arguments, checked: the horizon and the levels
    (the estimator's own ``level`` when None)."""
    check_is_fitted(est)
    return check_horizon(h), check_level(est.level if level is None else level)


class SeasonalNaiveForecaster(BaseEstimator):
    """Seasonal naive forecasts with empirical intervals.

    Parameters
    ----------
    season_length : int or None
        Season length; from the frequency when None (7 daily, 12 monthly, 24 hourly...).
    level : tuple of int
        Default interval levels in percent.
    max_history : int
        How many recent errors set the intervals.
    alias : str
        Name of the forecast column (``<alias>``, ``<alias>-lo-80``...).
    """

    def __init__(self, *, season_length=None, level=(80, 95), max_history=730, alias="SeasonalNaive"):
        self.season_length = season_length
        self.level = level
        self.max_history = max_history
        self.alias = alias

    def fit(self, df: pd.DataFrame, y=None, *, freq: str | None = None):
        """Remember the frequency the model was trained on and check the inputs."""
        data = validate_series(df, allow_missing_y=True)
        self.freq_ = canonical_freq(freq) if freq else infer_freq(data[DS])
        self.n_series_ = int(data[ID].nunique())
        check_level(self.level)
        return self

    def forecast(self, df: pd.DataFrame, *, h: int, level=None, freq: str | None = None) -> pd.DataFrame:
        """Forecast h steps past the end of each series in ``df``."""
        h, level = check_forecast_args(self, h, level)
        data = validate_series(df, allow_missing_y=True)
        rows = []
        for uid, g in data.groupby(ID, sort=False):
            rows.append(self._one(uid, g, h, level, freq))
        return pd.concat(rows, ignore_index=True)

    def _one(self, uid, g: pd.DataFrame, h: int, level, freq) -> pd.DataFrame:
        f = canonical_freq(freq) if freq else infer_freq(g[DS])
        m = self.season_length or season_length(f)
        y = g[Y].ffill().to_numpy(dtype=float)
        if np.isnan(y).all():
            raise DataContractError(f"series {short([uid])} has no observed values", field=Y, ids=[uid])
        y = y[~np.isnan(y)]
        if len(y) < m:
            m = 1
        j = np.arange(1, h + 1)
        k = np.ceil(j / m).astype(int)
        point = y[len(y) - m + ((j - 1) % m)]
        out = {ID: uid, DS: future_dates(g[DS].iloc[-1], h, f), self.alias: point}
        hist = y[-self.max_history :]
        for lv in level:
            a = (100 - lv) / 200
            lo = np.empty(h)
            hi = np.empty(h)
            for kk in np.unique(k):
                lag = kk * m
                err = hist[lag:] - hist[:-lag] if len(hist) > lag else hist[:0]
                if len(err) >= 5:
                    ql, qh = np.quantile(err, [a, 1 - a])
                else:  # too short: fall back on a scaled spread of one-step differences
                    d = np.diff(y) if len(y) > 2 else np.array([0.0, abs(y[-1]) * 0.1])
                    spread = np.std(d) * np.sqrt(kk) * 1.96
                    ql, qh = -spread, spread
                lo[k == kk] = point[k == kk] + ql
                hi[k == kk] = point[k == kk] + qh
            out[f"{self.alias}-lo-{lv}"] = lo
            out[f"{self.alias}-hi-{lv}"] = hi
        return pd.DataFrame(out)
