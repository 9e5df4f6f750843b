"""Units errors: a value about 10, 100 or 1000 times (or that fraction of) its expected level.

A figure entered in the wrong unit (yuan for ten-thousand yuan, a fraction for a percent,
a misplaced decimal point) differs from the series' level by a power of ten, for as long
as the wrong unit is used. :class:`UnitsErrorDetector` scores each value against the
main detector's seasonal expectation (so a strong yearly cycle is not taken for a unit
change):

* ``r = y / expected`` must be positive, and ``log10 r`` within ``tol`` of a whole
  number ``k`` with ``1 <= |k| <= max_power``;
* the value must be a clear deviation (``|z| >= min_z``) of a series whose noise is
  small against its level (``scale / |expected| <= max_cv``), so that the ratio is
  measured well enough to tell ×10 from ×5 or ×20.

The score is ``|k|`` (0 when the value is no units error); a genuine change by a factor
that is not near a power of ten (×3, ×0.5) scores 0 and is left to the deviation rule.
:class:`~govperf_ml.postprocess.threshold.ScoreThreshold` at ``threshold`` decides.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

__all__ = ["UnitsErrorDetector", "run_starts"]


class UnitsErrorDetector(BaseEstimator):
    """Score values that sit a power of ten away from their expected level.

    Parameters
    ----------
    threshold : float
        The power of ten from which the post-processing flags a value (1: ×10 or ÷10).
    tol : float
        How far ``log10(y / expected)`` may be from a whole number (0.15: ×7.1–×14).
    max_cv : float
        The largest ``scale / |expected|`` of a series whose ratios are trusted.
    min_z : float
        The least |z| of the value against its expected level and scale.
    max_power : int
        The largest power of ten taken for a units error.
    """

    def __init__(self, *, threshold=1.0, tol=0.15, max_cv=0.2, min_z=3.5, max_power=3):
        self.threshold = threshold
        self.tol = tol
        self.max_cv = max_cv
        self.min_z = min_z
        self.max_power = max_power

    def fit(self, df=None, y=None):
        if not 0 < self.tol < 0.5:
            raise ValueError("tol must be in (0, 0.5)")
        if self.max_cv <= 0 or self.min_z < 0 or int(self.max_power) < 1:
            raise ValueError("max_cv must be > 0, min_z >= 0 and max_power >= 1")
        self.n_features_in_ = 1
        return self

    def score_values(self, y, expected, scale) -> dict[str, np.ndarray]:
        """``anomaly_score`` (|k|, 0 if none) and signed ``power`` k of each value."""
        check_is_fitted(self)
        y, e, s = (np.asarray(a, dtype=float) for a in (y, expected, scale))
        with np.errstate(divide="ignore", invalid="ignore"):
            lr = np.log10(y / e)
            z = (y - e) / s
            cv = s / np.abs(e)
        k = np.rint(np.nan_to_num(lr, nan=0.0, posinf=0.0, neginf=0.0))
        ok = (np.isfinite(lr) & (np.abs(lr - k) <= self.tol) & (np.abs(k) >= 1) & (np.abs(k) <= int(self.max_power))
              & (np.nan_to_num(np.abs(z)) >= self.min_z) & (np.nan_to_num(cv, nan=np.inf) <= self.max_cv))
        power = np.where(ok, k, 0.0)
        return {"anomaly_score": np.abs(power), "power": power}


def run_starts(codes: np.ndarray, fired: np.ndarray, power: np.ndarray) -> np.ndarray:
    """Index of the first row of each row's run of consecutive fired rows with the same
    power in one series (rows sorted by series and time; -1 where not fired)."""
    fired = np.asarray(fired, dtype=bool)
    prev = np.r_[False, fired[:-1]]
    cont = prev & np.r_[False, codes[1:] == codes[:-1]] & np.r_[False, power[1:] == power[:-1]]
    first = np.where(fired & ~cont, np.arange(len(fired)), -1)
    start = np.maximum.accumulate(first) if len(first) else first
    return np.where(fired, start, -1)
