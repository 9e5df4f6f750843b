"""Calibrate raw scores to a tail probability, and suppress repeats of one event.

``AnomalyLikelihood`` is the post-processing that makes Numenta's HTM strong on NAB:
the score at t is how unlikely the *recent average* of raw scores (the last
``short_window``) is under a Gaussian fitted to the raw scores' own past
(``long_window`` values before t). Any detector's raw scores become one comparable
scale: ``log_tail = -log10 P(tail)`` (0 = ordinary, 5 = a one-in-100,000 event), and
``probability = 1 - P(tail)`` in [0, 1].

``SuppressRepeats`` keeps the first alarm of an event and drops alarms that follow it
within ``window`` rows (Merlion's ``alm_suppress_minutes``): NAB rewards only the
earliest detection in a window and charges every false one.

Both are causal: the value at t uses only raw scores up to t.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.special import log_ndtr
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

_LN10 = math.log(10.0)
MAX_LOG_TAIL = 100.0  # tail probabilities below 1e-100 are all "certain"


def log_tail(raw, *, short_window=10, long_window=8640, min_history=300, min_std=0.0) -> np.ndarray:
    """``-log10`` of the Gaussian tail probability of the short average of ``raw``.

    The mean and standard deviation come from the short averages of the ``long_window``
    rows before t (at least ``min_history`` of them, else 0 is returned). Capped at
    ``MAX_LOG_TAIL``.
    """
    a = pd.Series(np.nan_to_num(np.asarray(raw, dtype=float)))
    avg = a.rolling(short_window, min_periods=1).mean()
    roll = avg.rolling(long_window, min_periods=min_history)
    mean = roll.mean().shift(1).to_numpy()
    std = np.maximum(roll.std(ddof=0).shift(1).to_numpy(), min_std + 1e-12)
    z = (avg.to_numpy() - mean) / std
    z = np.where(np.isfinite(z), z, -np.inf)
    with np.errstate(divide="ignore"):
        out = -log_ndtr(-z) / _LN10
    return np.clip(np.nan_to_num(out, nan=0.0, posinf=MAX_LOG_TAIL), 0.0, MAX_LOG_TAIL)


def squash(lt, half=10.0):
    """Map ``-log10 tail`` (0..inf) monotonically into [0, 1): ``lt / (lt + half)``."""
    lt = np.asarray(lt, dtype=float)
    return lt / (lt + half)


class AnomalyLikelihood(BaseEstimator):
    """Raw scores → ``-log10`` tail probability of their recent average (see module doc).

    Parameters
    ----------
    short_window : int
        Raw scores averaged over this many rows (a burst counts more than one blip).
    long_window : int
        Rows of history that set the raw scores' normal mean and spread.
    min_history : int
        Rows needed before any score is given.
    min_std : float
        Floor of the spread (a detector whose raw score never moves must not alarm on
        its first wobble).
    """

    def __init__(self, *, short_window=10, long_window=8640, min_history=300, min_std=0.0):
        self.short_window = short_window
        self.long_window = long_window
        self.min_history = min_history
        self.min_std = min_std

    def fit(self, raw=None, y=None):
        if self.short_window < 1 or self.long_window < 2 or self.min_history < 2:
            raise ValueError("short_window >= 1, long_window >= 2 and min_history >= 2 are required")
        self.n_features_in_ = 1
        return self

    def transform(self, raw) -> np.ndarray:
        """``-log10`` tail probability per row."""
        check_is_fitted(self)
        return log_tail(raw, short_window=self.short_window, long_window=self.long_window,
                        min_history=self.min_history, min_std=self.min_std)

    def probability(self, raw) -> np.ndarray:
        """``1 - tail`` in [0, 1]: how sure we are that the recent raw scores are unusual."""
        return 1.0 - np.power(10.0, -self.transform(raw))


class MemberLikelihood(BaseEstimator):
    """Each member's raw scores → its ``-log10`` tail probability (an ensemble's calibration).

    Members named in ``binary`` alarm by themselves: their tail is ``MAX_LOG_TAIL`` where
    the raw score is positive after ``min_history`` rows, else 0. The others go through
    :func:`log_tail`; a member in ``offsets`` gives up that much ``-log10`` tail (it must
    be ``10**offset`` times more surprising to count; never below 0).

    Parameters
    ----------
    short_window, long_window, min_history : as :class:`AnomalyLikelihood`.
    offsets : dict or None
        ``{member: -log10 tail given up}``.
    binary : tuple of str
        Members whose positive raw score is an alarm by itself.
    """

    def __init__(self, *, short_window=10, long_window=8640, min_history=300, offsets=None, binary=("spatial",)):
        self.short_window = short_window
        self.long_window = long_window
        self.min_history = min_history
        self.offsets = offsets
        self.binary = binary

    def fit(self, raw=None, y=None):
        AnomalyLikelihood(short_window=self.short_window, long_window=self.long_window,
                          min_history=self.min_history).fit()  # the same parameter checks
        self.offsets_ = dict(self.offsets or {})
        self.n_features_in_ = 1
        return self

    def transform(self, raw: dict) -> dict:
        """``{member: -log10 tail per row}`` of ``{member: raw scores}``."""
        check_is_fitted(self)
        kw = dict(short_window=self.short_window, long_window=self.long_window, min_history=self.min_history)
        out = {}
        for m, r in raw.items():
            if m in self.binary:
                out[m] = np.where((r > 0) & (np.arange(len(r)) >= self.min_history), MAX_LOG_TAIL, 0.0)
            else:
                out[m] = np.maximum(log_tail(r, **kw) - self.offsets_.get(m, 0.0), 0.0)
        return out


def own_level(score, *, base: float, quantile: float, window: int = 8640, min_periods: int = 300) -> np.ndarray:
    """The alarm level of each row picked from the series' own history: the larger of
    ``base`` and (just above) the ``quantile`` of the scores of the ``window`` rows before it,
    so a score must exceed what the series already does that often (``base`` alone until
    ``min_periods`` rows; ``quantile`` 0 turns it off). Causal.

    A series whose scores often run high (noisy, bursty) needs a higher score to alarm;
    a quiet one keeps ``base``.
    """
    s = np.asarray(score, dtype=float)
    if quantile <= 0 or not len(s):
        return np.full(len(s), float(base))
    past = pd.Series(s).rolling(window, min_periods=min_periods).quantile(quantile).shift(1).to_numpy()
    above = np.nextafter(np.nan_to_num(past, nan=-np.inf), np.inf)
    return np.maximum(float(base), above)


def suppress_repeats(score, *, base, window: int, keep_below: bool = False) -> np.ndarray:
    """Zero every score in the ``window`` rows after an alarm (``score >= base``; ``base``
    a number or one level per row).

    A suppressed row does not start a new suppression period. Rows below ``base`` are
    set to 0 unless ``keep_below``.
    """
    s = np.asarray(score, dtype=float)
    out = s.copy() if keep_below else np.zeros_like(s)
    last = -(10**18)
    for i in np.flatnonzero(s >= base):  # alarms are rare: a loop over them is cheap
        if i - last > window:
            out[i] = s[i]
            last = i
        else:
            out[i] = 0.0
    return out


class SuppressRepeats(BaseEstimator):
    """Keep the first alarm of an event; drop alarms within ``window`` rows after it.

    Parameters
    ----------
    base : float
        The score from which a row is an alarm.
    window : int
        Rows after an alarm in which further alarms are dropped.
    keep_below : bool
        Keep scores under ``base`` as they are (else they become 0).
    own_quantile : float
        With a value in (0, 1), a row's alarm level is the larger of ``base`` and this
        quantile of the series' own earlier scores (:func:`own_level`, ``own_window`` rows,
        from ``own_min_periods`` rows on); 0 keeps ``base`` for every series.
    """

    def __init__(self, *, base=0.3, window=100, keep_below=False, own_quantile=0.0, own_window=8640,
                 own_min_periods=300):
        self.base = base
        self.window = window
        self.keep_below = keep_below
        self.own_quantile = own_quantile
        self.own_window = own_window
        self.own_min_periods = own_min_periods

    def fit(self, score=None, y=None):
        if self.window < 0:
            raise ValueError("window must be >= 0")
        if not 0.0 <= self.own_quantile < 1.0 or self.own_window < 2 or self.own_min_periods < 1:
            raise ValueError("own_quantile in [0, 1), own_window >= 2 and own_min_periods >= 1 are required")
        self.n_features_in_ = 1
        return self

    def transform(self, score) -> np.ndarray:
        check_is_fitted(self)
        # a rule pickled before own_quantile existed keeps its one level
        level = own_level(score, base=self.base, quantile=getattr(self, "own_quantile", 0.0),
                          window=getattr(self, "own_window", 8640), min_periods=getattr(self, "own_min_periods", 300))
        return suppress_repeats(score, base=level, window=self.window, keep_below=self.keep_below)
