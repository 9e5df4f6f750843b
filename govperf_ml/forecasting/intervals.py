"""Conformal prediction intervals from rolling-origin backtest residuals.

A backtest gives, for every series, cutoff and horizon step ``k``, the actual and the
forecast made at that cutoff. Each error is divided by the series' own noise scale (the
mean absolute seasonal difference of its history, the MASE scale), and the ``level``
quantile of the absolute scaled errors is taken per horizon step, pooled over series and
cutoffs (split conformal). The interval at step ``k`` of a new forecast is then
``point ± q_k × scale``: wider where the series is noisier, wider with the horizon, with
no normality assumption.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from govperf_ml.contracts import ID, DataContractError

__all__ = ["ConformalIntervals", "noise_scale", "STEP"]

#: column of backtest frames holding the horizon step (1 = one step after the cutoff)
STEP = "step"


def noise_scale(y: np.ndarray, m: int) -> float:
    """Mean absolute ``m``-step difference of a history (1-step when too short), never 0."""
    y = np.asarray(y, dtype=float)
    y = y[~np.isnan(y)]
    for lag in (m, 1):
        if len(y) > lag:
            d = np.abs(y[lag:] - y[:-lag])
            s = float(np.mean(d))
            if s > 0:
                return s
    s = float(np.mean(np.abs(y))) * 0.1 if len(y) else 1.0
    return s if s > 0 else 1.0


class ConformalIntervals(BaseEstimator):
    """Per-step quantiles of scaled absolute backtest errors, turned into intervals.

    Parameters
    ----------
    level : tuple of int
        Interval levels in percent.
    symmetric : bool
        Quantiles of ``|error|`` (symmetric intervals) or of the signed error on each side.
    """

    def __init__(self, *, level=(80, 95), symmetric=True):
        self.level = level
        self.symmetric = symmetric

    def fit(self, errors: pd.DataFrame, *, step_col: str = STEP, error_col: str = "error"):
        """``errors``: one row per backtest forecast with the step and the scaled error."""
        if errors is None or len(errors) == 0:
            raise DataContractError("conformal intervals need backtest errors; got none", field=error_col)
        e = errors[[step_col, error_col]].dropna()
        steps = np.sort(e[step_col].unique())
        q = {}
        for lv in self.level:
            a = lv / 100
            if self.symmetric:
                g = e.assign(_a=e[error_col].abs()).groupby(step_col)["_a"]
                # finite-sample conformal correction: the ceil((n+1) a)/n quantile
                hi = g.apply(lambda s: _conformal_quantile(s.to_numpy(), a))
                lo = -hi
            else:
                g = e.groupby(step_col)[error_col]
                t = (1 - a) / 2
                lo = g.apply(lambda s: _conformal_quantile(s.to_numpy(), t, upper=False))
                hi = g.apply(lambda s: _conformal_quantile(s.to_numpy(), 1 - t))
            # intervals never narrow with the horizon
            q[(lv, "lo")] = -np.maximum.accumulate(-lo.reindex(steps).to_numpy())
            q[(lv, "hi")] = np.maximum.accumulate(hi.reindex(steps).to_numpy())
        self.steps_ = steps
        self.quantiles_ = q
        return self

    def offsets(self, h: int, lv: int) -> tuple[np.ndarray, np.ndarray]:
        """Scaled lower and upper offsets for steps 1..h (beyond the backtest: grow like sqrt)."""
        check_is_fitted(self)
        if (lv, "lo") not in self.quantiles_:
            raise DataContractError(f"level: {lv} was not calibrated; calibrated {list(self.level)}", field="level")
        lo, hi = self.quantiles_[(lv, "lo")], self.quantiles_[(lv, "hi")]
        n = len(lo)
        k = np.arange(1, h + 1)
        idx = np.minimum(k, n) - 1
        grow = np.sqrt(np.maximum(k / n, 1.0))
        return lo[idx] * grow, hi[idx] * grow

    def apply(self, fc: pd.DataFrame, alias: str, scale: pd.Series, level, *, id_col: str = ID) -> pd.DataFrame:
        """Add ``<alias>-lo-<lv>`` / ``<alias>-hi-<lv>`` columns to a long forecast frame."""
        check_is_fitted(self)
        out = fc.copy()
        step = out.groupby(id_col, sort=False).cumcount().to_numpy() + 1
        h = int(step.max()) if len(step) else 0
        s = out[id_col].map(scale).to_numpy(dtype=float)
        point = out[alias].to_numpy(dtype=float)
        for lv in level:
            lo, hi = self.offsets(h, lv)
            out[f"{alias}-lo-{lv}"] = point + lo[step - 1] * s
            out[f"{alias}-hi-{lv}"] = point + hi[step - 1] * s
        return out


def _conformal_quantile(x: np.ndarray, a: float, *, upper: bool = True) -> float:
    x = np.sort(x[~np.isnan(x)])
    n = len(x)
    if n == 0:
        return np.nan
    if upper:
        r = min(int(np.ceil((n + 1) * a)), n)
        return float(x[r - 1])
    r = max(int(np.floor((n + 1) * a)), 1)
    return float(x[r - 1])
