"""A causal streaming ensemble for long, high-frequency series (NAB-style data).

A pipeline of separate parts: the members (:class:`~govperf_ml.anomaly.stream_members.
StreamMembers`, raw scores only) → each member's anomaly likelihood
(:class:`~govperf_ml.postprocess.likelihood.MemberLikelihood`) → the most surprising
member (max) → the threshold ``base`` and the suppression of repeats
(:class:`~govperf_ml.postprocess.likelihood.SuppressRepeats`: the first alarm of each
event). The members:

* ``spatial``: the value leaves the running ``[min, max]`` of all earlier values by more
  than ``spatial_tol`` of that range (Numenta's "spatial anomaly"); an alarm by itself
  once ``min_history`` rows have been seen.
* ``rare`` (off by default): how rarely the pair (previous value's bin, this value's bin)
  has been seen, ``1 / (1 + count)``, the bins being ``bins`` equal slices of the running
  ``[min, max]`` (a CAD-OSE-like context memory). It helped the old KNN + z pair on NAB
  (+1.5) but added false alarms to the spatial / tod / z trio (-0.6).
* ``tod``: the distance of the value from the mean of earlier values at the same hour of
  day (``tod_minutes`` buckets) in their standard deviations, once a bucket holds
  ``tod_min_count`` values (a daily pattern broken: a missing peak, a night-time burst).
  Needs timestamps; without them the member is left out.
* ``tod_log``: ``tod`` on the log-like scale of :func:`log_scale` (a burst in a series of
  counts stands out against the bucket's spread there, not in raw units); like ``z``
  its tail must be ``10**tod_log_offset`` times smaller to count.
* ``z_log``: the distance of the value from the mean of the last ``z_window`` values in
  standard deviations, on the :func:`log_scale` of the series; its tail probability must
  be ``10**z_offset`` times smaller than the other members' to count (alone it alarms too
  often). ``z`` (off by default) is the same on the raw scale: on NAB, moving z to the log
  scale and adding ``tod_log`` lifts the ensemble from 74.3 / 67.3 / 78.6 to
  76.5 / 69.6 / 80.6 (standard / low FP / low FN), on both halves of the corpus.
* ``knn`` (off by default): a contextual (KNN-CAD style) score — the mean distance of
  the last ``embed`` values to their ``n_neighbors`` nearest sub-sequences among the
  ``memory`` previous ones. On NAB it adds false alarms to the members above.

Everything is causal: the score at t uses values (and timestamps) up to t only, and
nothing is tuned per series. Needs a few hundred rows of history (``min_history``); for
short monthly KPI series use :class:`~govperf_ml.anomaly.robust_zscore.SeasonalRobustZScore`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from govperf_ml.anomaly.stream_members import DEFAULT_MEMBERS, StreamMembers
from govperf_ml.contracts import DS, ID, Y, validate_series
from govperf_ml.postprocess.likelihood import MemberLikelihood, SuppressRepeats, squash


class StreamFrames:
    """``score_frame`` for a stream detector whose ``score_values`` returns ``log_tail``,
    ``probability``, ``anomaly_score`` and ``alarm_score`` (each series scored in time order)."""

    def score_frame(self, df: pd.DataFrame, *, id_col=ID, time_col=DS, target_col=Y) -> pd.DataFrame:
        """One row per input row: id, ds, y, log_tail, probability, anomaly_score, alarm_score."""
        check_is_fitted(self)
        data = validate_series(df, id_col=id_col, time_col=time_col, target_col=target_col)
        parts = []
        for uid, g in data.groupby(id_col, sort=False):
            r = self.score_values(g[target_col].to_numpy(dtype=float), g[time_col].to_numpy())
            parts.append(pd.DataFrame({id_col: uid, time_col: g[time_col].to_numpy(), target_col: g[target_col].to_numpy(),
                                       **{k: r[k] for k in ("log_tail", "probability", "anomaly_score", "alarm_score")}}))
        return pd.concat(parts, ignore_index=True)


class StreamingEnsemble(StreamFrames, BaseEstimator):
    """Causal spatial + time-of-day + windowed-z ensemble (time-of-day on the raw and the
    log scale, z on the log scale), calibrated by anomaly likelihood (see the module doc
    for the members; ``rare``, ``z`` and ``knn`` can be added).

    Parameters
    ----------
    members : the members used (from :data:`~govperf_ml.anomaly.stream_members.MEMBERS`); ``tod`` is skipped when no timestamps
        are given.
    spatial_tol : how far (share of the running range) a value must leave the running
        ``[min, max]`` to be a spatial anomaly.
    bins : the ``rare`` member's number of bins of the running range.
    tod_minutes, tod_min_count : the ``tod`` and ``tod_log`` members' bucket width and the
        values a bucket needs before it scores.
    tod_log_offset : the ``-log10`` tail the ``tod_log`` member gives up.
    z_window, z_offset : the ``z`` and ``z_log`` members' window, and the ``-log10`` tail
        they give up (they count as ``log_tail - z_offset``).
    embed, n_neighbors, memory : the ``knn`` member's sub-sequence length, neighbours and
        how many earlier sub-sequences it searches.
    short_window, long_window, min_history : the likelihood calibration (see
        :class:`~govperf_ml.postprocess.likelihood.AnomalyLikelihood`); no member alarms
        before ``min_history`` rows.
    base : float
        The ``anomaly_score`` from which a row is an alarm (0.33 ≈ a tail probability
        of 10^-4.9 for the most surprising member).
    suppress : int
        Rows after an alarm in which further alarms are dropped.
    own_quantile : float
        0: one alarm level ``base`` for every series. In (0, 1): a row's alarm level is the
        larger of ``base`` and this quantile of the series' own earlier ``anomaly_score``
        (the last ``long_window`` rows; causal; see
        :func:`~govperf_ml.postprocess.likelihood.own_level`).
    """

    def __init__(self, *, members=DEFAULT_MEMBERS, spatial_tol=0.05, bins=40, tod_minutes=60, tod_min_count=10,
                 tod_log_offset=2.0, z_window=1000, z_offset=2.0, embed=10, n_neighbors=3, memory=2000,
                 short_window=10, long_window=8640, min_history=300, base=0.33, suppress=125,
                 own_quantile=0.0):
        self.members = members
        self.spatial_tol = spatial_tol
        self.bins = bins
        self.tod_minutes = tod_minutes
        self.tod_min_count = tod_min_count
        self.tod_log_offset = tod_log_offset
        self.z_window = z_window
        self.z_offset = z_offset
        self.embed = embed
        self.n_neighbors = n_neighbors
        self.memory = memory
        self.short_window = short_window
        self.long_window = long_window
        self.min_history = min_history
        self.base = base
        self.suppress = suppress
        self.own_quantile = own_quantile

    def fit(self, df=None, y=None):
        """Nothing is learned up front (the detector adapts online); builds the parts."""
        self.members_ = StreamMembers(
            members=self.members, spatial_tol=self.spatial_tol, bins=self.bins, tod_minutes=self.tod_minutes,
            tod_min_count=self.tod_min_count, z_window=self.z_window, embed=self.embed,
            n_neighbors=self.n_neighbors, memory=self.memory).fit()
        if not 0.0 < self.base < 1.0:
            raise ValueError("base must be in (0, 1)")
        offsets = {"z": self.z_offset, "z_log": self.z_offset, "tod_log": self.tod_log_offset}
        self.likelihood_ = MemberLikelihood(short_window=self.short_window, long_window=self.long_window,
                                            min_history=self.min_history, offsets=offsets).fit()
        self.alarm_ = SuppressRepeats(base=self.base, window=self.suppress, own_quantile=self.own_quantile,
                                      own_window=self.long_window, own_min_periods=self.min_history).fit()
        self.n_features_in_ = 1
        return self

    def score_values(self, values, timestamps=None) -> dict[str, np.ndarray]:
        """Score one series' values in time order (``timestamps`` feed the ``tod`` member).

        Returns ``raw_<member>``, ``lt_<member>`` (``-log10`` tail; the ``spatial``
        member's is ``MAX_LOG_TAIL`` on a breach after ``min_history`` rows, else 0),
        ``log_tail`` (the ensemble's), ``probability`` (1 - tail, in [0, 1]),
        ``anomaly_score`` (``log_tail`` squashed into [0, 1), monotone) and
        ``alarm_score`` (``anomaly_score`` at first alarms of events, else 0).
        """
        check_is_fitted(self)
        raw = self.members_.score_values(values, timestamps)
        lts = self.likelihood_.transform(raw)
        n = len(np.asarray(values))
        lt = np.max(np.vstack(list(lts.values())), axis=0) if n else np.zeros(0)
        score = squash(lt)
        out = {f"raw_{m}": r for m, r in raw.items()} | {f"lt_{m}": v for m, v in lts.items()}
        out.update(log_tail=lt, probability=1.0 - np.power(10.0, -lt), anomaly_score=score,
                   alarm_score=self.alarm_.transform(score))
        return out
