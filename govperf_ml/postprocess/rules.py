"""Alarm rules applied after the threshold: each a small estimator with ``fit``.

Every rule takes the flags of the threshold rule and returns a subset of them (a rule
never adds an alarm), so rules compose in any order and each can be switched off.
They work on a long frame with ``unique_id``, ``ds``, a signed ``z`` and an
``anomaly_score`` column, one row per value; the result is aligned with its rows.

=============  =============================================================================
rule           keeps a flag only if ...
=============  =============================================================================
MinDuration    it is the k-th (or later) flag in a row of its series
NewNormal      it is among the first ``n`` of a run of same-sign flags (a level shift alerts
               at its start, not for months), or the run has lasted more than ``season`` rows
AlertBudget    it is among the ``max_alerts`` highest scores of its org unit in its period
=============  =============================================================================

``ZCalibrator`` maps any detector's raw scores to one scale (a probability from the
fitted tail distribution); ``DismissalTuner`` turns supervisors' dismissals into
per-indicator threshold offsets.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from govperf_ml.contracts import DS, ID
from govperf_ml.vocabulary import org_unit_of


def _order(frame: pd.DataFrame, id_col: str, time_col: str):
    """Row order by (series, time) and the series code of each sorted row."""
    codes, _ = pd.factorize(frame[id_col])
    order = np.lexsort((frame[time_col].to_numpy(), codes))
    return order, codes[order]


def _run_position(flag: np.ndarray, sign: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """1, 2, ... along each run of consecutive same-sign flags of one series (0 if unflagged)."""
    pos = np.zeros(len(flag), dtype=int)
    start = np.ones(len(flag), dtype=bool)
    start[1:] = (codes[1:] != codes[:-1]) | ~flag[:-1] | (sign[1:] != sign[:-1])
    run = 0
    for i in range(len(flag)):  # one pass over the rows; a panel is at most a few 100k rows
        run = (1 if start[i] else run + 1) if flag[i] else 0
        pos[i] = run
    return pos


class _Rule(BaseEstimator):
    id_col = ID
    time_col = DS

    def fit(self, frame: pd.DataFrame | None = None, y=None):
        self._check()
        self.n_features_in_ = 1
        return self

    def _check(self) -> None:
        pass

    def apply(self, frame: pd.DataFrame, flag) -> np.ndarray:
        """The flags that survive the rule (a subset of ``flag``), aligned with ``frame``."""
        check_is_fitted(self)
        flag = np.asarray(flag, dtype=bool)
        if len(flag) != len(frame):
            raise ValueError("flag must have one value per row of frame")
        if not flag.any():
            return flag.copy()
        order, codes = _order(frame, self.id_col, self.time_col)
        keep_sorted = self._keep(frame.iloc[order], flag[order], codes)
        out = np.zeros(len(flag), dtype=bool)
        out[order] = keep_sorted & flag[order]
        return out


class MinDuration(_Rule):
    """Alert only from the ``k``-th consecutive flag of a series (``k=1``: every flag)."""

    def __init__(self, *, k=1):
        self.k = k

    def _check(self):
        if int(self.k) < 1:
            raise ValueError("k must be at least 1")

    def _keep(self, rows, flag, codes):
        pos = _run_position(flag, np.zeros(len(flag)), codes)
        return pos >= int(self.k)


class NewNormal(_Rule):
    """After a persistent level shift, stop alerting on it: one change is one alert.

    A run of consecutive flags in the same direction alerts on its first ``n`` values;
    later ones are taken as the series' new normal and dropped, until the run ends (the
    series returns, or the detector has re-centred on the new level) or has lasted more
    than ``season`` rows (a shift that persists for a whole season alerts again).
    """

    def __init__(self, *, n=2, season=12, z_col="z"):
        self.n = n
        self.season = season
        self.z_col = z_col

    def _check(self):
        if int(self.n) < 1 or int(self.season) < int(self.n):
            raise ValueError("n must be at least 1 and season at least n")

    def _keep(self, rows, flag, codes):
        sign = np.sign(np.nan_to_num(rows[self.z_col].to_numpy(dtype=float)))
        pos = _run_position(flag, sign, codes)
        return (pos <= int(self.n)) | (pos > int(self.season))


class AlertBudget(_Rule):
    """At most ``max_alerts`` alerts per org unit and period, keeping the highest scores.

    The org unit is the part of ``unique_id`` before ``|`` (``org_of``); the period is
    ``ds`` truncated to ``period`` (a pandas period alias: 'M', 'Q', 'Y').
    """

    def __init__(self, *, max_alerts=5, period="M", score_col="anomaly_score", org_of=org_unit_of):
        self.max_alerts = max_alerts
        self.period = period
        self.score_col = score_col
        self.org_of = org_of

    def _check(self):
        if int(self.max_alerts) < 0:
            raise ValueError("max_alerts must be >= 0")

    def _keep(self, rows, flag, codes):
        idx = np.flatnonzero(flag)
        sub = rows.iloc[idx]
        org = sub[self.id_col].map(self.org_of).to_numpy()
        per = pd.to_datetime(sub[self.time_col]).dt.to_period(self.period).astype(str).to_numpy()
        score = np.nan_to_num(sub[self.score_col].to_numpy(dtype=float), nan=-np.inf)
        rank = (pd.DataFrame({"o": org, "p": per, "s": -score, "i": np.arange(len(idx))})
                .sort_values(["o", "p", "s", "i"]).groupby(["o", "p"]).cumcount())
        keep = np.zeros(len(flag), dtype=bool)
        keep[idx[rank.sort_index().to_numpy() < int(self.max_alerts)]] = True
        return keep


class ZCalibrator(BaseEstimator):
    """Raw scores → probability that a score this high is unusual for the detector.

    Below the ``tail_quantile`` of the fitted scores the probability is their empirical
    CDF; above it, a generalised Pareto distribution fitted to the exceedances gives the
    tail (so scores beyond anything seen still rank). Monotone: a higher raw score never
    gets a lower probability. Any detector's ``anomaly_score`` (|z|, a log ratio, a run
    length) lands on the same [0, 1] scale.
    """

    def __init__(self, *, tail_quantile=0.9, min_exceedances=20):
        self.tail_quantile = tail_quantile
        self.min_exceedances = min_exceedances

    def fit(self, scores, y=None):
        if not 0.5 <= self.tail_quantile < 1:
            raise ValueError("tail_quantile must be in [0.5, 1)")
        s = np.asarray(scores, dtype=float)
        s = np.sort(s[np.isfinite(s)])
        if len(s) < 2:
            raise ValueError("at least 2 finite scores are needed to calibrate")
        self.sorted_ = s
        self.u_ = float(np.quantile(s, self.tail_quantile))
        exc = s[s > self.u_] - self.u_
        if len(exc) >= self.min_exceedances and np.ptp(exc) > 0:
            c, _, scale = stats.genpareto.fit(exc, floc=0.0)
            self.shape_, self.scale_ = float(np.clip(c, -0.5, 1.0)), float(scale)
        else:  # too few exceedances: an exponential tail with their mean
            self.shape_, self.scale_ = 0.0, float(max(exc.mean() if len(exc) else 1.0, 1e-9))
        self.n_features_in_ = 1
        return self

    def transform(self, scores) -> np.ndarray:
        check_is_fitted(self)
        s = np.nan_to_num(np.asarray(scores, dtype=float), nan=0.0)
        ecdf = np.searchsorted(self.sorted_, s, side="right") / len(self.sorted_)
        q = float(np.searchsorted(self.sorted_, self.u_, side="right") / len(self.sorted_))
        tail = (1 - q) * stats.genpareto.sf(np.maximum(s - self.u_, 0.0), self.shape_, scale=self.scale_)
        return np.clip(np.where(s > self.u_, 1.0 - tail, np.minimum(ecdf, q)), 0.0, 1.0)


class DismissalTuner(BaseEstimator):
    """Per-indicator threshold offsets learned from supervisors' dismissals.

    ``fit(frame)`` takes one row per reviewed alert with ``indicator`` and ``dismissed``
    (bool; False = acknowledged or resolved). An indicator with at least ``min_alerts``
    reviewed alerts of which more than ``tolerated`` were dismissed gets its threshold
    raised by ``max_offset × (share − tolerated) / (1 − tolerated)``: nothing at the
    tolerated share, ``max_offset`` (the bound) when every alert was dismissed.
    ``offsets_`` holds only indicators with a positive offset.
    """

    def __init__(self, *, min_alerts=5, tolerated=0.5, max_offset=2.0, indicator_col="indicator",
                 dismissed_col="dismissed"):
        self.min_alerts = min_alerts
        self.tolerated = tolerated
        self.max_offset = max_offset
        self.indicator_col = indicator_col
        self.dismissed_col = dismissed_col

    def fit(self, frame: pd.DataFrame, y=None):
        if not 0 <= self.tolerated < 1 or self.max_offset < 0 or self.min_alerts < 1:
            raise ValueError("tolerated in [0, 1), max_offset >= 0 and min_alerts >= 1 are required")
        missing = {self.indicator_col, self.dismissed_col} - set(frame.columns)
        if missing:
            raise ValueError(f"dismissals frame lacks columns {sorted(missing)}")
        g = frame.groupby(self.indicator_col)[self.dismissed_col].agg(["size", "mean"])
        g = g[g["size"] >= self.min_alerts]
        off = self.max_offset * (g["mean"] - self.tolerated) / (1 - self.tolerated)
        off = off.clip(0.0, self.max_offset)
        self.offsets_ = {str(k): float(v) for k, v in off.items() if v > 0}
        self.dismiss_share_ = {str(k): float(v) for k, v in g["mean"].items()}
        return self

    def offset(self, indicator: str) -> float:
        check_is_fitted(self)
        return self.offsets_.get(str(indicator), 0.0)
