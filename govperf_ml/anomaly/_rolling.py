"""Column-wise rolling statistics of a (time × series) array, vectorised over series.

pandas applies a rolling median one column at a time; for a panel of 10,000 short
series that loop dominates. These give the same numbers as pandas (NaNs skipped, at
least ``min_periods`` observed values, else NaN) for all columns at once.
"""

from __future__ import annotations

import warnings

import numpy as np

#: 1.4826 × the median absolute deviation estimates a normal standard deviation
MAD_TO_SIGMA = 1.4826


def _nanmedian(a: np.ndarray, axis: int) -> np.ndarray:
    """``np.nanmedian`` without masked arrays: sort (NaNs go last), take the middle."""
    srt = np.sort(a, axis=axis)
    cnt = np.count_nonzero(~np.isnan(a), axis=axis)
    lo = np.expand_dims(np.maximum(cnt - 1, 0) // 2, axis)
    hi = np.expand_dims(cnt // 2, axis)
    hi = np.minimum(hi, a.shape[axis] - 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        med = 0.5 * (np.take_along_axis(srt, lo, axis) + np.take_along_axis(srt, hi, axis))
    med = np.squeeze(med, axis)
    return np.where(cnt > 0, med, np.nan)


def rolling_median(a: np.ndarray, window: int, min_periods: int) -> np.ndarray:
    """``pd.DataFrame(a).rolling(window, min_periods).median().to_numpy()``."""
    a = np.asarray(a, dtype=float)
    if a.ndim == 1:
        return rolling_median(a[:, None], window, min_periods)[:, 0]
    n, k = a.shape
    w = min(window, max(n, 1))
    pad = np.vstack([np.full((w - 1, k), np.nan), a])
    view = np.lib.stride_tricks.sliding_window_view(pad, w, axis=0)  # (n, k, w)
    out = np.empty((n, k))
    step = max(1, 4_000_000 // max(1, k * w))  # bound the memory of one chunk
    for i in range(0, n, step):
        chunk = view[i : i + step]
        med = _nanmedian(chunk, axis=2)
        cnt = np.count_nonzero(~np.isnan(chunk), axis=2)
        out[i : i + step] = np.where(cnt >= min_periods, med, np.nan)
    return out


def expanding_median(a: np.ndarray, min_periods: int = 1) -> np.ndarray:
    """``pd.DataFrame(a).expanding(min_periods).median().to_numpy()``."""
    a = np.asarray(a, dtype=float)
    out = np.full(a.shape, np.nan)
    cnt = np.cumsum(~np.isnan(a), axis=0)
    for t in range(a.shape[0]):
        out[t] = _nanmedian(a[: t + 1], axis=0)
    return np.where(cnt >= min_periods, out, np.nan)


def shift1(a: np.ndarray) -> np.ndarray:
    """Shift down by one row (the first row becomes NaN): the value known before t."""
    out = np.empty_like(np.asarray(a, dtype=float))
    out[0] = np.nan
    out[1:] = a[:-1]
    return out
