"""A forecaster as a detector: its residuals scored against its own uncertainty.

``z = (y - forecast) / (half width of the forecaster's ``level`` % interval / z_level)``
where ``z_level`` is the standard normal quantile of that level: a value on the edge of
the 80% interval scores 1.28. The forecast of t comes from the history up to t - 1 only
(rolling origin: forecasts of ``horizon`` steps from every ``horizon``-th cutoff, so
``horizon=1`` is strictly one step ahead; a larger horizon trades sharpness for speed).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm
from sklearn.base import BaseEstimator, clone
from sklearn.utils.validation import check_is_fitted

from govperf_ml.contracts import DS, ID, Y, validate_series


class ForecastResidualDetector(BaseEstimator):
    """Causal forecast-residual z-scores; output columns as ``SeasonalRobustZScore``.

    Parameters
    ----------
    forecaster : estimator with ``fit(df)`` and ``forecast(df, h=, level=)``
        Default: ``SeasonalNaiveForecaster()``.
    level : int
        The interval (percent) whose half width sets the scale.
    horizon : int
        Steps forecast from each cutoff (1 = one step ahead).
    min_history : int
        Periods of history before the first scored value (earlier values score 0).
    """

    def __init__(self, *, forecaster=None, level=80, horizon=1, min_history=13):
        self.forecaster = forecaster
        self.level = level
        self.horizon = horizon
        self.min_history = min_history

    def fit(self, df: pd.DataFrame, y=None):
        if not 0 < self.level < 100 or self.horizon < 1 or self.min_history < 2:
            raise ValueError("0 < level < 100, horizon >= 1 and min_history >= 2 are required")
        if self.forecaster is None:
            from govperf_ml.forecasting.naive import SeasonalNaiveForecaster

            self.forecaster_ = SeasonalNaiveForecaster()
        else:
            self.forecaster_ = clone(self.forecaster)
        self.forecaster_.fit(validate_series(df))
        self.alias_ = getattr(self.forecaster_, "alias", type(self.forecaster_).__name__)
        self.n_features_in_ = 1
        return self

    def score_frame(self, df: pd.DataFrame, *, id_col=ID, time_col=DS, target_col=Y) -> pd.DataFrame:
        """One row per input row: unique_id, ds, y, expected, scale, z, anomaly_score, warm."""
        check_is_fitted(self)
        data = validate_series(df, id_col=id_col, time_col=time_col, target_col=target_col)
        data = data.rename(columns={id_col: ID, time_col: DS, target_col: Y})[[ID, DS, Y]].reset_index(drop=True)
        periods = np.sort(data[DS].unique())
        lv, alias = int(self.level), self.alias_
        parts = []
        for c in range(self.min_history - 1, len(periods) - 1, self.horizon):
            hist = data[data[DS] <= periods[c]]
            hist = hist[hist.groupby(ID)[Y].transform("count") >= 2]
            if hist.empty:
                continue
            fc = self.forecaster_.forecast(hist, h=self.horizon, level=(lv,))
            parts.append(fc[[ID, DS, alias, f"{alias}-lo-{lv}", f"{alias}-hi-{lv}"]])
        out = data.copy()
        if parts:
            fc = pd.concat(parts, ignore_index=True).drop_duplicates([ID, DS], keep="last")
            fc[DS] = pd.to_datetime(fc[DS])
            out = out.merge(fc, on=[ID, DS], how="left")
        else:
            out[alias] = out[f"{alias}-lo-{lv}"] = out[f"{alias}-hi-{lv}"] = np.nan
        z_level = norm.ppf(0.5 + lv / 200)
        scale = (out[f"{alias}-hi-{lv}"] - out[f"{alias}-lo-{lv}"]).to_numpy(float) / (2 * z_level)
        expected = out[alias].to_numpy(float)
        floor = 1e-3 * np.abs(expected) + 1e-9
        scale = np.where(np.isnan(scale), np.nan, np.maximum(scale, floor))
        with np.errstate(divide="ignore", invalid="ignore"):
            z = (out[Y].to_numpy(float) - expected) / scale
        warm = np.isfinite(z)
        z = np.where(warm, z, 0.0)
        res = pd.DataFrame({ID: out[ID], DS: out[DS], Y: out[Y], "expected": expected, "scale": scale,
                            "z": z, "anomaly_score": np.abs(z), "warm": warm})
        return res.rename(columns={ID: id_col, DS: time_col, Y: target_col})

    def anomaly_score(self, df: pd.DataFrame, **kw) -> np.ndarray:
        return self.score_frame(df, **kw)["anomaly_score"].to_numpy()
