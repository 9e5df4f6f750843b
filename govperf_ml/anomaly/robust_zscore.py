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
from scipy import stats
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
    clean_z : float or None
        Two passes: values farther than this many scales from the first pass's expectation
        are clipped to that edge before the level, seasonal profile and scale are formed
        again (one past anomaly then barely moves next year's expectation). None: one pass.
    tail_quantile : float or None
        The series' own alarm level: the scale is widened by the ratio of this quantile of
        its last ``scale_window`` |z| (before t) to a normal's, between 1 and ``max_widen``
        (a series whose errors run heavy-tailed needs a larger move to alarm). None: off.
    max_widen : float
        The most ``tail_quantile`` may widen the scale.
    """

    def __init__(self, *, freq=None, scale_window=36, min_history=8, rel_scale_floor=0.01, holiday_aware=True,
                 clean_z=None, tail_quantile=None, max_widen=4.0):
        self.freq = freq
        self.clean_z = clean_z
        self.tail_quantile = tail_quantile
        self.max_widen = max_widen
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
        seasonal_on = not (m <= 4 or freq in ("W", "Y"))
        expected, level, scale = self._expectation(y, y, m, keys, seasonal_on)
        if self.clean_z is not None:
            # two passes: values the first pass found very unusual are pulled back to the
            # edge of its band (expected ± clean_z scales) before the level, the seasonal
            # profile and the scale are formed again; each value is still scored as it came
            # (a lasting shift still moves the level: its clipped values drag it along)
            reach = float(self.clean_z) * scale
            basis = np.where(np.isfinite(reach), np.clip(y, expected - reach, expected + reach), y)
            expected, level, scale = self._expectation(y, basis, m, keys, seasonal_on)
        resid = y - expected
        with np.errstate(divide="ignore", invalid="ignore"):
            z = resid / scale
        n_seen = np.nan_to_num(shift1(np.cumsum(~np.isnan(y), axis=0)), nan=0.0)
        warm = (n_seen >= self.min_history) & np.isfinite(z)
        z = np.where(warm, z, 0.0)
        if self.tail_quantile is not None:
            z, scale = self._own_alarm_level(z, warm, scale)
        n, k = y.shape
        return pd.DataFrame(
            {
                "__id": np.repeat(np.asarray(ids, dtype=object), n),
                "__ds": np.tile(ds.to_numpy(), k),
                "__y": y.T.ravel(),
                "expected": expected.T.ravel(),
                "scale": scale.T.ravel(),
                "z": z.T.ravel(),
                "anomaly_score": np.abs(z).T.ravel(),
                "warm": warm.T.ravel(),
            }
        )

    def _expectation(self, y: np.ndarray, basis: np.ndarray, m: int, keys: np.ndarray, seasonal_on: bool):
        """Expected value, level and scale of every value of ``y`` from the values of
        ``basis`` before it (``basis`` is ``y`` with the values to leave out set to NaN)."""
        level = shift1(rolling_median(basis, m, max(2, m // 3)))
        dev = basis - level
        seasonal = np.zeros_like(y)
        if seasonal_on:
            for k in pd.unique(keys):
                rows = np.flatnonzero(keys == k)
                seasonal[rows] = np.nan_to_num(expanding_median(shift1(dev[rows]), 1), nan=0.0)
        expected = level + seasonal
        resid = basis - expected
        abs_dev = np.abs(resid - shift1(rolling_median(resid, self.scale_window, 3)))
        scale = MAD_TO_SIGMA * shift1(rolling_median(abs_dev, self.scale_window, 3))
        floor = self.rel_scale_floor * np.abs(level) + 1e-9
        with np.errstate(invalid="ignore"):
            scale = np.where(np.isnan(scale) | np.isnan(floor), np.nan, np.maximum(scale, floor))
        return expected, level, scale

    def _own_alarm_level(self, z: np.ndarray, warm: np.ndarray, scale: np.ndarray):
        """Widen the scale of a series whose own past |z| run heavier than a normal's: by
        the ratio of the ``tail_quantile`` of its last ``scale_window`` warm |z| (before t)
        to the normal's, never below 1, at most ``max_widen``."""
        past = pd.DataFrame(np.where(warm, np.abs(z), np.nan))
        q = past.rolling(self.scale_window, min_periods=12).quantile(self.tail_quantile).shift(1).to_numpy()
        ref = float(stats.norm.ppf(0.5 + self.tail_quantile / 2))
        widen = np.clip(np.nan_to_num(q / ref, nan=1.0), 1.0, float(self.max_widen))
        return z / widen, scale * widen

    def _score_one(self, uid, g: pd.DataFrame, time_col: str, target_col: str) -> pd.DataFrame:
        ds = g[time_col].reset_index(drop=True)
        return self._score_wide_arrays([uid], ds, g[target_col].to_numpy(dtype=float)[:, None])
