"""A causal streaming ensemble for long, high-frequency series (NAB-style data).

Two members score every row with a raw score, each calibrated against its own past by
:class:`~govperf_ml.postprocess.likelihood.AnomalyLikelihood`; the ensemble takes the
most surprising member, then :func:`~govperf_ml.postprocess.likelihood.suppress_repeats`
keeps the first alarm of each event:

* ``knn``: a contextual (KNN-CAD style) score — the mean distance of the last ``embed``
  values to their ``n_neighbors`` nearest sub-sequences among the ``memory`` previous
  ones (scaled by the series' recent spread). A shape never seen before scores high even
  when each value is ordinary.
* ``z``: the distance of the value from the mean of the last ``z_window`` values in
  standard deviations (a value or level never seen recently).

Everything is causal: the score at t uses values up to t only, and nothing is tuned
per series. Needs a few hundred rows of history (``min_history``); for short monthly
KPI series use :class:`~govperf_ml.anomaly.robust_zscore.SeasonalRobustZScore`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from govperf_ml.contracts import DS, ID, Y, validate_series
from govperf_ml.postprocess.likelihood import log_tail, squash, suppress_repeats

MEMBERS = ("knn", "z")


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


class StreamingEnsemble(BaseEstimator):
    """Causal KNN-context + windowed-z ensemble, calibrated by anomaly likelihood.

    Parameters
    ----------
    embed, n_neighbors, memory : the KNN member's sub-sequence length, neighbours and
        how many earlier sub-sequences it searches.
    z_window : the z member's window.
    short_window, long_window, min_history : the likelihood calibration (see
        :class:`~govperf_ml.postprocess.likelihood.AnomalyLikelihood`).
    base : float
        The ``anomaly_score`` from which a row is an alarm (0.28 ≈ a tail probability
        of 10^-3.9 for the most surprising member).
    suppress : int
        Rows after an alarm in which further alarms are dropped.
    """

    def __init__(self, *, embed=10, n_neighbors=3, memory=2000, z_window=1000, short_window=10,
                 long_window=8640, min_history=300, base=0.28, suppress=125):
        self.embed = embed
        self.n_neighbors = n_neighbors
        self.memory = memory
        self.z_window = z_window
        self.short_window = short_window
        self.long_window = long_window
        self.min_history = min_history
        self.base = base
        self.suppress = suppress

    def fit(self, df=None, y=None):
        """Nothing is learned up front (the detector adapts online); checks parameters."""
        if self.embed < 2 or self.n_neighbors < 1 or self.memory < self.n_neighbors + 5:
            raise ValueError("embed >= 2, n_neighbors >= 1 and memory >= n_neighbors + 5 are required")
        if not 0.0 < self.base < 1.0:
            raise ValueError("base must be in (0, 1)")
        self.n_features_in_ = 1
        return self

    def score_values(self, values) -> dict[str, np.ndarray]:
        """Score one series' values in time order.

        Returns ``raw_<member>``, ``lt_<member>`` (``-log10`` tail), ``log_tail`` (the
        ensemble's), ``probability`` (1 - tail, in [0, 1]), ``anomaly_score``
        (``log_tail`` squashed into [0, 1), monotone) and ``alarm_score``
        (``anomaly_score`` at first alarms of events, else 0).
        """
        check_is_fitted(self)
        x = np.asarray(values, dtype=float)
        raw = {
            "knn": knn_distance(x, embed=self.embed, n_neighbors=self.n_neighbors, memory=self.memory),
            "z": window_z(x, window=self.z_window),
        }
        kw = dict(short_window=self.short_window, long_window=self.long_window, min_history=self.min_history)
        lts = {m: log_tail(r, **kw) for m, r in raw.items()}
        lt = np.max(np.vstack(list(lts.values())), axis=0)
        score = squash(lt)
        out = {f"raw_{m}": r for m, r in raw.items()} | {f"lt_{m}": v for m, v in lts.items()}
        out.update(log_tail=lt, probability=1.0 - np.power(10.0, -lt), anomaly_score=score,
                   alarm_score=suppress_repeats(score, base=self.base, window=self.suppress))
        return out

    def score_frame(self, df: pd.DataFrame, *, id_col=ID, time_col=DS, target_col=Y) -> pd.DataFrame:
        """One row per input row: id, ds, y, log_tail, probability, anomaly_score, alarm_score."""
        check_is_fitted(self)
        data = validate_series(df, id_col=id_col, time_col=time_col, target_col=target_col)
        parts = []
        for uid, g in data.groupby(id_col, sort=False):
            r = self.score_values(g[target_col].to_numpy(dtype=float))
            parts.append(pd.DataFrame({id_col: uid, time_col: g[time_col].to_numpy(), target_col: g[target_col].to_numpy(),
                                       **{k: r[k] for k in ("log_tail", "probability", "anomaly_score", "alarm_score")}}))
        return pd.concat(parts, ignore_index=True)
