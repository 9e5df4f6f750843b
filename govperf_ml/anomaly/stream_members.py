"""The members of the streaming ensemble: raw, causal scores of one high-frequency stream.

Each function scores every row of one series from the values (and timestamps) up to that
row; :class:`StreamMembers` runs the chosen ones. They only score: calibration (anomaly
likelihood), the maximum over members, the threshold and the suppression of repeats are
the post-processing of :class:`~govperf_ml.anomaly.stream.StreamingEnsemble`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

MEMBERS = ("spatial", "rare", "tod", "tod_log", "z", "z_log", "knn")
DEFAULT_MEMBERS = ("spatial", "tod", "tod_log", "z_log")


def knn_distance(x, *, embed=10, n_neighbors=3, memory=2000, block=512, scale_window=1000) -> np.ndarray:
    """Causal nearest-neighbour distance of each trailing sub-sequence to earlier ones.

    The sub-sequence ending at t is compared with those ending at or before
    ``b - embed`` where ``b`` is the first row of t's block (so references never overlap
    the query, and never use values after t). Distances are divided by
    ``sqrt(embed) *`` the standard deviation of the last ``scale_window`` values up to t.
    """
    x = pd.Series(np.asarray(x, dtype=float)).ffill().fillna(0.0).to_numpy()
    n, L = len(x), int(embed)
    out = np.zeros(n)
    if n < 2 * L + n_neighbors + 5:
        return out
    emb = np.lib.stride_tricks.sliding_window_view(x, L).astype(np.float32)  # emb[j] ends at j+L-1
    sq = (emb.astype(np.float64) ** 2).sum(1)
    for b in range(L - 1, n, block):
        q_end = np.arange(b, min(n, b + block))
        r_hi = b - L  # last reference end row
        if r_hi - (L - 1) < n_neighbors + 5:
            continue
        r_lo = max(L - 1, r_hi - memory)
        qi, ri = q_end - (L - 1), np.arange(r_lo, r_hi + 1) - (L - 1)
        d = sq[qi][:, None] + sq[ri][None, :] - 2.0 * (emb[qi] @ emb[ri].T)
        d = np.partition(np.maximum(d, 0.0), n_neighbors - 1, axis=1)[:, :n_neighbors]
        out[q_end] = np.sqrt(d.mean(1))
    sd = pd.Series(x).rolling(scale_window, min_periods=L).std(ddof=0).to_numpy()
    sd = np.where(np.isfinite(sd) & (sd > 0), sd, 1.0)
    return out / (sd * np.sqrt(L))


def window_z(x, *, window=1000, min_periods=20) -> np.ndarray:
    """|x_t - mean| / std of the ``window`` values before t (0 before ``min_periods``)."""
    s = pd.Series(np.asarray(x, dtype=float))
    roll = s.rolling(window, min_periods=min_periods)
    mean, std = roll.mean().shift(1), roll.std(ddof=0).shift(1)
    z = (s - mean).abs() / np.maximum(std, 1e-9)
    return np.nan_to_num(z.to_numpy(), nan=0.0, posinf=0.0)


def _clean(x) -> np.ndarray:
    return pd.Series(np.asarray(x, dtype=float)).ffill().fillna(0.0).to_numpy()


def log_scale(x, *, scale=2.0) -> np.ndarray:
    """``arcsinh(x_t / (scale * m_t))``, ``m_t`` the typical size of earlier values: the median
    of ``|x_0..x_{t-1}|``, or, while that median is 0 (a mostly-zero series), the smallest
    non-zero ``|x|`` so far (the series' own unit step); ``|x_0|`` at t = 0, 1 if all are 0.

    A log scale that needs neither positive values nor units: for ``|x| >> m`` it is
    ``sign(x) * log(2 |x| / (scale * m))`` (``log(x / m)`` at the default ``scale=2``), near 0
    it is linear. Counts and other right-skewed series become roughly symmetric, so a burst
    is judged against the spread of the log values rather than against earlier bursts.
    """
    x = _clean(x)
    if not len(x):
        return np.zeros(0)
    a = np.abs(x)
    med = pd.Series(a).expanding().median().shift(1).to_numpy()
    nonzero = np.where(a > 0, a, np.inf)
    unit = np.r_[nonzero[0], np.minimum.accumulate(nonzero)[:-1]]
    med[0] = a[0]
    m = np.where(med > 0, med, np.where(np.isfinite(unit), unit, 1.0))
    return np.arcsinh(x / (scale * m))


def spatial_breach(x, *, tol=0.05) -> np.ndarray:
    """How far x_t lies outside the running ``[min, max]`` of x_0..x_{t-1}, in units of that
    range, less ``tol`` (0 inside the widened range, and while the range is still 0)."""
    x = _clean(x)
    if not len(x):
        return np.zeros(0)
    mx = np.r_[x[0], np.maximum.accumulate(x)[:-1]]
    mn = np.r_[x[0], np.minimum.accumulate(x)[:-1]]
    rng = mx - mn
    over = np.maximum(x - mx, mn - x) / np.where(rng > 0, rng, np.inf)
    return np.maximum(over - tol, 0.0)


def running_bins(x, *, bins=40) -> np.ndarray:
    """Bin (0..bins-1) of x_t within the running ``[min, max]`` of x_0..x_t."""
    x = _clean(x)
    mx, mn = np.maximum.accumulate(x), np.minimum.accumulate(x)
    rng = mx - mn
    q = np.where(rng > 0, (x - mn) / np.where(rng > 0, rng, 1.0), 0.5)
    return np.minimum((q * bins).astype(np.int64), bins - 1)


def _count_before(keys: np.ndarray) -> np.ndarray:
    """For each i, how many j < i have ``keys[j] == keys[i]``."""
    n = len(keys)
    order = np.argsort(keys, kind="stable")
    k = keys[order]
    first = np.r_[True, k[1:] != k[:-1]]
    group_start = np.maximum.accumulate(np.where(first, np.arange(n), 0))
    out = np.empty(n, dtype=np.int64)
    out[order] = np.arange(n) - group_start
    return out


def rare_pair(x, *, bins=40) -> np.ndarray:
    """``1 / (1 + count)`` of earlier rows with the same (previous bin, bin) pair
    (bins from :func:`running_bins`)."""
    s = running_bins(x, bins=bins)
    if not len(s):
        return np.zeros(0)
    prev = np.r_[bins, s[:-1]]
    return 1.0 / (1.0 + _count_before(prev * (bins + 1) + s))


def time_of_day_z(x, timestamps, *, minutes=60, min_count=10, floor=0.1) -> np.ndarray:
    """|x_t - mean| / std of the earlier values in x_t's time-of-day bucket (``minutes``
    wide); 0 until the bucket holds ``min_count`` values. The std is floored at ``floor``
    times the running std of all earlier values (a quiet bucket must not explode)."""
    x = _clean(x)
    ts = pd.DatetimeIndex(pd.to_datetime(np.asarray(timestamps)))
    if len(ts) != len(x):
        raise ValueError(f"{len(ts)} timestamps for {len(x)} values")
    bucket = np.asarray((ts.hour * 60 + ts.minute) // int(minutes))
    s = pd.Series(x)
    g = s.groupby(bucket)
    mean = g.transform(lambda v: v.expanding().mean().shift(1)).to_numpy()
    std = g.transform(lambda v: v.expanding().std(ddof=0).shift(1)).to_numpy()
    count = g.cumcount().to_numpy()
    overall = np.nan_to_num(s.expanding().std(ddof=0).shift(1).to_numpy())
    z = np.abs(x - mean) / (np.maximum(std, floor * overall) + 1e-9)
    z[count < min_count] = 0.0
    return np.nan_to_num(z, nan=0.0, posinf=0.0)


class StreamMembers(BaseEstimator):
    """Raw scores of the chosen members on one stream (a detector: it scores, never decides).

    Parameters
    ----------
    members : the members used (from ``MEMBERS``); ``tod`` and ``tod_log`` are skipped
        when no timestamps are given.
    spatial_tol : how far (share of the running range) a value must leave the running
        ``[min, max]`` to breach it (:func:`spatial_breach`).
    bins : the ``rare`` member's number of bins of the running range.
    tod_minutes, tod_min_count : the time-of-day members' bucket width and the values a
        bucket needs before it scores (:func:`time_of_day_z`).
    z_window : the ``z`` and ``z_log`` members' window (:func:`window_z`).
    embed, n_neighbors, memory : the ``knn`` member's sub-sequence length, neighbours and
        how many earlier sub-sequences it searches (:func:`knn_distance`).
    """

    def __init__(self, *, members=DEFAULT_MEMBERS, spatial_tol=0.05, bins=40, tod_minutes=60, tod_min_count=10,
                 z_window=1000, embed=10, n_neighbors=3, memory=2000):
        self.members = members
        self.spatial_tol = spatial_tol
        self.bins = bins
        self.tod_minutes = tod_minutes
        self.tod_min_count = tod_min_count
        self.z_window = z_window
        self.embed = embed
        self.n_neighbors = n_neighbors
        self.memory = memory

    def fit(self, df=None, y=None):
        """Nothing is learned up front (the members adapt online); checks parameters."""
        unknown = set(self.members) - set(MEMBERS)
        if unknown or not len(self.members):
            raise ValueError(f"members must be a non-empty subset of {MEMBERS}; unknown: {sorted(unknown)}")
        if self.embed < 2 or self.n_neighbors < 1 or self.memory < self.n_neighbors + 5:
            raise ValueError("embed >= 2, n_neighbors >= 1 and memory >= n_neighbors + 5 are required")
        if self.bins < 2 or self.tod_minutes < 1 or 1440 % int(self.tod_minutes):
            raise ValueError("bins >= 2 and tod_minutes dividing 1440 are required")
        self.n_features_in_ = 1
        return self

    def score_values(self, values, timestamps=None) -> dict[str, np.ndarray]:
        """``{member: raw score per row}`` of one series' values in time order."""
        check_is_fitted(self)
        x = np.asarray(values, dtype=float)
        members = [m for m in MEMBERS if m in self.members and (m not in ("tod", "tod_log") or timestamps is not None)]
        logx = log_scale(x) if {"tod_log", "z_log"} & set(members) else None
        tod_kw = dict(minutes=self.tod_minutes, min_count=self.tod_min_count)
        makers = {
            "spatial": lambda: spatial_breach(x, tol=self.spatial_tol),
            "rare": lambda: rare_pair(x, bins=self.bins),
            "tod": lambda: time_of_day_z(x, timestamps, **tod_kw),
            "tod_log": lambda: time_of_day_z(logx, timestamps, **tod_kw),
            "z": lambda: window_z(x, window=self.z_window),
            "z_log": lambda: window_z(logx, window=self.z_window),
            "knn": lambda: knn_distance(x, embed=self.embed, n_neighbors=self.n_neighbors, memory=self.memory),
        }
        return {m: makers[m]() for m in members}
