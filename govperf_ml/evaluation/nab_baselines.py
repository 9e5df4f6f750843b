"""NAB's reference baselines, re-implemented to check :mod:`govperf_ml.evaluation.nab`.

``windowed_gaussian_scores`` reproduces ``nab/detectors/gaussian/windowedGaussian_detector.py``
(NAB v1.1): the score of a value is ``1 - Q(|x - mean| / std)`` where mean and (population)
standard deviation come from the values seen so far, at most the last ``window_size``
(6400); once the window is full it only moves forward in steps of ``step_size`` (100)
values. The first value scores 0. A zero standard deviation is replaced by 1e-6.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["windowed_gaussian_scores"]

_ERFC = np.frompyfunc(math.erfc, 1, 1)


def windowed_gaussian_scores(
    values: np.ndarray, *, window_size: int = 6400, step_size: int = 100
) -> np.ndarray:
    """Anomaly scores in [0, 1) of NAB's ``windowedGaussian`` detector, one per value."""
    x = np.asarray(values, dtype=float)
    n = len(x)
    mean = np.zeros(n)
    std = np.ones(n)
    # growing window: the score of row i (1 <= i <= window_size) uses x[:i]
    for i in range(1, min(n, window_size)):
        mean[i] = np.mean(x[:i])
        std[i] = np.std(x[:i])
    # full window: rows window_size + k*step .. window_size + (k+1)*step - 1 use
    # x[k*step : window_size + k*step] (the window moves after every step_size new values)
    for k in range(max(0, -(-(n - window_size) // step_size))):
        lo_row = window_size + k * step_size
        hi_row = min(lo_row + step_size, n)
        window = x[k * step_size : window_size + k * step_size]
        mean[lo_row:hi_row] = np.mean(window)
        std[lo_row:hi_row] = np.std(window)
    std = np.where(std == 0.0, 0.000001, std)
    # NAB's normalProbability reflects values below the mean: xp = 2*mean - x
    xp = np.where(x < mean, 2 * mean - x, x)
    z = (xp - mean) / std
    tail = 0.5 * _ERFC(z / math.sqrt(2)).astype(float)
    score = 1.0 - tail
    if n:
        score[0] = 0.0
    return score
