"""NAB's windowed Gaussian as a served stream detector: causal, one line of arithmetic.

The value at t is compared with the mean and (population) standard deviation of the
values before it: all of them while fewer than ``window_size``, then the last
``window_size`` with the window moving forward in steps of ``step_size`` values (NAB's
``windowedGaussian`` detector, v1.1). The ``-log10`` Gaussian tail of
``|x - mean| / std`` is the ``log_tail``; ``anomaly_score`` squashes it into [0, 1) exactly
as :class:`~govperf_ml.anomaly.stream.StreamingEnsemble` does, so one alarm level
``base`` means the same surprise for both, and repeats are suppressed the same way.

On the anomaly suite's corpora this simple detector is a candidate for what sub-daily
streams get (``govperf bench anomaly --suite``); which one is served is written in
``govperf_ml/data/anomaly_defaults.json`` (:mod:`govperf_ml.anomaly.defaults`).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import log_ndtr
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from govperf_ml.anomaly.stream import StreamFrames
from govperf_ml.anomaly.stream_members import _clean
from govperf_ml.postprocess.likelihood import MAX_LOG_TAIL, SuppressRepeats, squash

__all__ = ["WindowedGaussian", "windowed_moments"]


def windowed_moments(x, *, window_size: int = 6400, step_size: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """Causal mean and population std of the values before each row (NAB's stepped window).

    Row 0 has no history: mean 0, std 1 (as NAB's detector starts)."""
    x = np.asarray(x, dtype=float)
    n = len(x)
    if not n:
        return np.zeros(0), np.zeros(0)
    c = x - x[0]  # centred: sums of squares keep their precision
    s1, s2 = np.r_[0.0, np.cumsum(c)], np.r_[0.0, np.cumsum(c * c)]
    i = np.arange(n)
    k = np.maximum(i - window_size, 0) // step_size
    full = i >= window_size
    lo = np.where(full, k * step_size, 0)
    hi = np.where(full, window_size + k * step_size, i)
    cnt = np.maximum(hi - lo, 1)
    m = (s1[hi] - s1[lo]) / cnt
    var = np.maximum((s2[hi] - s2[lo]) / cnt - m * m, 0.0)
    mean, std = m + x[0], np.sqrt(var)
    mean[0], std[0] = 0.0, 1.0
    return mean, std


class WindowedGaussian(StreamFrames, BaseEstimator):
    """Causal windowed Gaussian stream detector (see the module doc).

    Parameters
    ----------
    window_size, step_size : the window of earlier values and how often it moves.
    min_history : rows before the first score (and the rows a stream needs to be routed here).
    base : the ``anomaly_score`` from which a row is an alarm (0.33 ≈ a tail of 10^-4.9).
    suppress : rows after an alarm in which further alarms are dropped.
    own_quantile : 0, or in (0, 1): a row's alarm level is the larger of ``base`` and this
        quantile of the series' own earlier ``anomaly_score`` (the last ``own_window`` rows;
        :func:`~govperf_ml.postprocess.likelihood.own_level`).
    """

    def __init__(self, *, window_size=6400, step_size=100, min_history=300, base=0.33, suppress=125,
                 own_quantile=0.0, own_window=8640):
        self.window_size = window_size
        self.step_size = step_size
        self.min_history = min_history
        self.base = base
        self.suppress = suppress
        self.own_quantile = own_quantile
        self.own_window = own_window

    def fit(self, df=None, y=None):
        """Nothing is learned up front (the window moves online); checks parameters."""
        if self.window_size < 2 or self.step_size < 1 or self.min_history < 1:
            raise ValueError("window_size >= 2, step_size >= 1 and min_history >= 1 are required")
        if not 0.0 < self.base < 1.0:
            raise ValueError("base must be in (0, 1)")
        self.alarm_ = SuppressRepeats(base=self.base, window=self.suppress, own_quantile=self.own_quantile,
                                      own_window=self.own_window, own_min_periods=self.min_history).fit()
        self.n_features_in_ = 1
        return self

    def score_values(self, values, timestamps=None) -> dict[str, np.ndarray]:
        """``log_tail``, ``probability``, ``anomaly_score`` and ``alarm_score`` per row
        (``timestamps`` are not used)."""
        check_is_fitted(self)
        x = _clean(values)
        mean, std = windowed_moments(x, window_size=self.window_size, step_size=self.step_size)
        z = np.abs(x - mean) / np.where(std == 0.0, 1e-6, std)
        lt = np.clip(-log_ndtr(-z) / math.log(10.0), 0.0, MAX_LOG_TAIL)
        lt[: self.min_history] = 0.0
        score = squash(lt)
        return {"log_tail": lt, "probability": 1.0 - np.power(10.0, -lt), "anomaly_score": score,
                "alarm_score": self.alarm_.transform(score)}
