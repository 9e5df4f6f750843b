"""Calibration of the risk model's probabilities, and knowing when an episode is unfamiliar.

Two small pieces, each fitted on training episodes and used at prediction time:

* :class:`ProbabilityCalibrator` maps raw classifier probabilities to calibrated ones
  (isotonic regression or Platt's sigmoid on the log-odds), fitted on out-of-fold
  predictions.
* :class:`Familiarity` learns the range of a few descriptors of the training episodes
  (how many past origins the empirical forecast rests on, the length of the window still
  to come, the series' volatility) and gives each new episode a weight in (0, 1]: 1 inside
  the range, less the further outside it is (for past origins and the window, only below
  it: more history or a longer window is not what makes an episode unfamiliar). The risk
  model then shrinks its probability
  towards a reference (the pace rule's miss rate) by that weight and says why.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

CALIBRATIONS = ("none", "isotonic", "sigmoid")
# reason -> descriptor column (log scale)
DESCRIPTORS = {
    "little history": "n_origins",
    "short window": "horizon",
    "unusual volatility": "volatility",
}
ONE_SIDED = ("n_origins", "horizon")
MIN_ORIGINS = 5  # below this the empirical forecast is a random-walk guess
REASONS_ZH = {"little history": "历史数据较少", "short window": "剩余时间窗口与训练样本差异大",
              "unusual volatility": "波动程度超出训练样本范围"}


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=float), 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


class ProbabilityCalibrator:
    """Isotonic or sigmoid map from raw to calibrated probabilities ("none": identity)."""

    def __init__(self, method: str = "none"):
        if method not in CALIBRATIONS:
            raise ValueError(f"calibration must be one of {CALIBRATIONS}; got {method!r}")
        self.method = method

    def fit(self, p, y) -> ProbabilityCalibrator:
        p, y = np.asarray(p, dtype=float), np.asarray(y, dtype=int)
        if self.method == "isotonic":
            self.map_ = IsotonicRegression(y_min=0.005, y_max=0.995, out_of_bounds="clip").fit(p, y)
        elif self.method == "sigmoid":
            self.map_ = LogisticRegression(C=1e4).fit(_logit(p)[:, None], y)
        return self

    def transform(self, p) -> np.ndarray:
        p = np.asarray(p, dtype=float)
        if self.method == "isotonic":
            return self.map_.predict(p)
        if self.method == "sigmoid":
            return self.map_.predict_proba(_logit(p)[:, None])[:, 1]
        return p


def _values(X: pd.DataFrame, column: str) -> np.ndarray:
    v = X[column].to_numpy(float) if column in X else np.full(len(X), np.nan)
    return np.log1p(np.abs(v)) if column != "volatility" else np.log(np.maximum(v, 1e-6))


class Familiarity:
    """How far each episode lies outside the training episodes' range of descriptors.

    Parameters
    ----------
    strength : float
        How fast the weight falls outside the range: ``w = 1 / (1 + strength * excess)``,
        ``excess`` the summed distance outside the [2 %, 98 %] range, in units of that
        range's width (0: every weight is 1).
    """

    def __init__(self, strength: float = 1.0):
        self.strength = strength

    def fit(self, X: pd.DataFrame) -> Familiarity:
        self.lo_, self.hi_ = {}, {}
        for column in DESCRIPTORS.values():
            v = _values(X, column)
            v = v[np.isfinite(v)]
            self.lo_[column], self.hi_[column] = (np.quantile(v, [0.02, 0.98]) if len(v) else (np.nan, np.nan))
        return self

    def excess(self, X: pd.DataFrame) -> pd.DataFrame:
        """Per descriptor (columns named by the reason), the distance outside the range."""
        out = {}
        for reason, column in DESCRIPTORS.items():
            lo, hi = self.lo_[column], self.hi_[column]
            v = _values(X, column)
            width = max(hi - lo, np.log(2)) if np.isfinite(hi - lo) else 1.0  # at least a factor of 2
            above = 0.0 if column in ONE_SIDED else v - hi  # more history or a longer window is no stranger
            e = np.maximum(0.0, np.maximum(lo - v, above)) / width
            out[reason] = np.where(np.isfinite(e), e, 0.0)
        frame = pd.DataFrame(out, index=X.index)
        if "n_origins" in X:  # a random-walk guess is unfamiliar whatever the training saw
            frame["little history"] += (X["n_origins"].to_numpy(float) < MIN_ORIGINS).astype(float)
        return frame

    def weight(self, X: pd.DataFrame, strength: float | None = None) -> tuple[np.ndarray, list[str]]:
        """Weight of the model's probability (1: familiar) and the main reason when below 1
        (``strength``: another strength than the fitted one)."""
        e = self.excess(X)
        k = self.strength if strength is None else strength
        w = 1.0 / (1.0 + k * e.sum(axis=1).to_numpy())
        values = e.to_numpy()
        main = [str(e.columns[i]) if row.max() > 0 and k > 0 else "" for i, row in zip(values.argmax(axis=1), values)]
        return w, main


def shrink(p, p_ref, w) -> np.ndarray:
    """``w * p + (1 - w) * p_ref``: towards the reference where the episode is unfamiliar."""
    w = np.asarray(w, dtype=float)
    return w * np.asarray(p, dtype=float) + (1 - w) * np.asarray(p_ref, dtype=float)
