"""The robust seasonal z-score detector (the baseline every stronger detector must beat).

For each series, causally (the score at t uses only values up to t):

* ``level``: the median of the last ``season`` values before t;
* ``seasonal``: the median deviation from the level of earlier points with the same season
  key (month for monthly data; weekday, public holiday and adjusted working day for daily
  data — so Spring Festival and 调休 weekends are compared with their own kind);
* ``expected = level + seasonal``; the residual is scaled by 1.4826 × the median absolute
  residual of the last ``scale_window`` points before t.

``anomaly_score`` is |z|; the signed ``z`` says in which direction the value moved.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from govperf_ml.anomaly._rolling import MAD_TO_SIGMA, expanding_median, rolling_median, shift1
from govperf_ml.contracts import DS, ID, Y, validate_series
from govperf_ml.features.time import infer_freq, season_keys, season_length


class SeasonalRobustZScore(BaseEstimator):
    """Causal robust z-score of each value against its seasonal expectation.

    Parameters
    ----------
    freq : str or None
        Series frequency ('D', 'W', 'M', 'Q', 'H'); inferred per series when None.
    scale_window : int
        How many past residuals set the scale.
    min_history : int
        Points needed before a score is given (earlier points score 0).
    rel_scale_floor : float
        The scale is at least this share of the level, so that a flat series does not
        turn the smallest wobble into an alarm.
    holiday_aware : bool
        Use Chinese holidays and adjusted working days as season keys for daily data.
    """

    def __init__(self, *, freq=None, scale_window=36, min_history=8, rel_scale_floor=0.01, holiday_aware=True):
        self.freq = freq
        self.scale_window = scale_window
        self.min_history = min_history
        self.rel_scale_floor = rel_scale_floor
        self.holiday_aware = holiday_aware

    def fit(self, df: pd.DataFrame | None = None, y=None):
        """Nothing is learned per series (the detector adapts online); fixes parameters."""
        if self.scale_window < 3:
            raise ValueError("scale_window must be at least 3")
        if self.min_history < 2:
            raise ValueError("min_history must be at least 2")
        self.n_features_in_ = 1
        return self

    def score_frame(self, df: pd.DataFrame, *, id_col=ID, time_col=DS, target_col=Y) -> pd.DataFrame:
        """Score every row: returns unique_id, ds, y, expected, scale, z, anomaly_score."""
        check_is_fitted(self)
        data = validate_series(df, id_col=id_col, time_col=time_col, target_col=target_col)
        # series that share one time axis are scored together, column-wise (the same
        # arithmetic as the per-series path, thousands of series per second)
        fast = self._score_panel(data, id_col, time_col, target_col)
        if fast is not None:
            return fast.rename(columns={"__id": id_col, "__ds": time_col, "__y": target_col})
        groups = list(data.groupby(id_col, sort=False))
        by_axis: dict[bytes, list] = {}
        for uid, g in groups:
            by_axis.setdefault(g[time_col].to_numpy().tobytes(), []).append((uid, g))
        parts = []
        for members in by_axis.values():
            if len(members) == 1:
                uid, g = members[0]
                parts.append(self._score_one(uid, g, time_col, target_col))
            else:
                parts.append(self._score_wide(members, time_col, target_col))
        out = pd.concat(parts, ignore_index=True)
        order = {uid: i for i, (uid, _) in enumerate(groups)}
        out = out.sort_values(["__id", "__ds"], key=lambda c: c.map(order) if c.name == "__id" else c, kind="stable")
        out = out.reset_index(drop=True)
        return out.rename(columns={"__id": id_col, "__ds": time_col, "__y": target_col})

    def anomaly_score(self, df: pd.DataFrame, **kw) -> np.ndarray:
        return self.score_frame(df, **kw)["anomaly_score"].to_numpy()

    def _score_panel(self, data, id_col, time_col, target_col) -> pd.DataFrame | None:
        """The common case in one go: every series has the same time axis (else None)."""
        ids = data[id_col].to_numpy()
        codes, uniq = pd.factorize(ids)
        k = len(uniq)
        if k < 2 or len(data) % k:
            return None
        n = len(data) // k
        if not (np.all(codes.reshape(k, n) == np.arange(k)[:, None])):
            return None
        ds = data[time_col].to_numpy().reshape(k, n)
        if not (ds == ds[0]).all():
            return None
        y = data[target_col].to_numpy(dtype=float).reshape(k, n).T
        return self._score_wide_arrays(list(uniq), pd.Series(ds[0]), y)

    def _score_wide(self, members, time_col: str, target_col: str) -> pd.DataFrame:
        """``_score_one`` for many series on one time axis: one column per series."""
        ds = members[0][1][time_col].reset_index(drop=True)
        ids = [uid for uid, _ in members]
        y = np.column_stack([g[target_col].to_numpy(dtype=float) for _, g in members])
        return self._score_wide_arrays(ids, ds, y)

    def _score_wide_arrays(self, ids, ds: pd.Series, y: np.ndarray) -> pd.DataFrame:
        freq = self.freq or infer_freq(ds)
        m = max(season_length(freq), 4)
        keys = np.asarray(season_keys(ds, freq, holiday_aware=self.holiday_aware))
        level = shift1(rolling_median(y, m, max(2, m // 3)))
        dev = y - level
        seasonal = np.zeros_like(y)
        if not (m <= 4 or freq in ("W", "Y")):
            for k in pd.unique(keys):
                rows = np.flatnonzero(keys == k)
                med = expanding_median(shift1(dev[rows]), 1)
                seasonal[rows] = np.nan_to_num(med, nan=0.0)
        expected = level + seasonal
        resid = y - expected
        abs_dev = np.abs(resid - shift1(rolling_median(resid, self.scale_window, 3)))
        scale = MAD_TO_SIGMA * shift1(rolling_median(abs_dev, self.scale_window, 3))
        floor = self.rel_scale_floor * np.abs(level) + 1e-9
        with np.errstate(invalid="ignore"):
            scale = np.where(np.isnan(scale) | np.isnan(floor), np.nan, np.maximum(scale, floor))
        with np.errstate(divide="ignore", invalid="ignore"):
            z = resid / scale
        n_seen = shift1(np.cumsum(~np.isnan(y), axis=0))
        n_seen = np.nan_to_num(n_seen, nan=0.0)
        warm = (n_seen >= self.min_history) & np.isfinite(z)
        z = np.where(warm, z, 0.0)
        expected = pd.DataFrame(expected)
        n, k = y.shape
        return pd.DataFrame(
            {
                "__id": np.repeat(np.asarray(ids, dtype=object), n),
                "__ds": np.tile(ds.to_numpy(), k),
                "__y": y.T.ravel(),
                "expected": expected.to_numpy().T.ravel(),
                "scale": scale.T.ravel(),
                "z": z.T.ravel(),
                "anomaly_score": np.abs(z).T.ravel(),
                "warm": warm.T.ravel(),
            }
        )

    def _score_one(self, uid, g: pd.DataFrame, time_col: str, target_col: str) -> pd.DataFrame:
        ds = g[time_col].reset_index(drop=True)
        y = g[target_col].to_numpy(dtype=float)
        freq = self.freq or infer_freq(ds)
        m = max(season_length(freq), 4)
        keys = season_keys(ds, freq, holiday_aware=self.holiday_aware)
        s = pd.Series(y)
        # level: median of the last m observed values before t (NaNs skipped)
        level = s.rolling(m, min_periods=max(2, m // 3)).median().shift(1)
        dev = s - level
        seasonal = (
            pd.DataFrame({"k": keys, "d": dev})
            .groupby("k")["d"]
            .transform(lambda d: d.shift(1).expanding(min_periods=1).median())
            .fillna(0.0)
        )
        if m <= 4 or freq in ("W", "Y"):
            seasonal = seasonal * 0.0
        expected = level + seasonal
        resid = s - expected
        abs_dev = (resid - resid.rolling(self.scale_window, min_periods=3).median().shift(1)).abs()
        scale = MAD_TO_SIGMA * abs_dev.rolling(self.scale_window, min_periods=3).median().shift(1)
        floor = self.rel_scale_floor * level.abs() + 1e-9
        scale = np.maximum(scale.to_numpy(), floor.to_numpy())
        z = resid.to_numpy() / scale
        n_seen = s.notna().cumsum().shift(1).fillna(0).to_numpy()
        warm = (n_seen >= self.min_history) & np.isfinite(z)
        z = np.where(warm, z, 0.0)
        return pd.DataFrame(
            {
                "__id": uid,
                "__ds": ds,
                "__y": y,
                "expected": expected.to_numpy(),
                "scale": scale,
                "z": z,
                "anomaly_score": np.abs(z),
                "warm": warm,
            }
        )
