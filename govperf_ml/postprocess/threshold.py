"""Turn scores into alarms: a sensitivity threshold and direction awareness.

``ThresholdRule`` decides on signed z-scores (direction aware, tunable on labels);
``ScoreThreshold`` decides on any detector's own non-negative score (``score >=
threshold``); ``improvements_only`` keeps the alarms of moves in the good direction.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.metrics import f1_score
from sklearn.utils.validation import check_is_fitted


class ThresholdRule(BaseEstimator):
    """Flag ``|z| > threshold``; with direction awareness, only moves in the bad direction.

    A fall of a higher-is-better indicator (or a rise of a lower-is-better one) alerts;
    an improvement does not. ``fit`` can tune the threshold on labelled points by F1.

    Parameters
    ----------
    threshold : float
        The |z| above which a value alarms (the sensitivity knob: higher = fewer alarms).
    direction_aware : bool
        Ignore improvements when a series' direction is known.
    grid : tuple of float or None
        Candidate thresholds for ``fit`` with labels; None keeps ``threshold``.
    """

    def __init__(self, *, threshold=3.5, direction_aware=True, grid=(2.5, 3.0, 3.5, 4.0, 4.5, 5.0, 6.0, 8.0)):
        self.threshold = threshold
        self.direction_aware = direction_aware
        self.grid = grid

    def fit(self, z, y=None, directions=None):
        z = np.asarray(z, dtype=float)
        self.threshold_ = float(self.threshold)
        if y is not None and self.grid:
            y = np.asarray(y, dtype=bool)
            scores = {t: f1_score(y, self._flag(z, t, directions), zero_division=0.0) for t in self.grid}
            self.threshold_ = float(max(scores, key=lambda t: (scores[t], t)))
            self.fit_f1_ = float(scores[self.threshold_])
        return self

    def _flag(self, z, threshold, directions):
        z = np.nan_to_num(np.asarray(z, dtype=float))
        flag = np.abs(z) > threshold
        if self.direction_aware and directions is not None:
            flag &= ~_improvement(z, np.asarray(directions, dtype=object))
        return flag

    def predict(self, z, directions=None, *, threshold=None) -> np.ndarray:
        """Flags; ``threshold`` (a number or one per value) replaces the fitted one."""
        check_is_fitted(self)
        return self._flag(z, self.threshold_ if threshold is None else threshold, directions)


def _improvement(z: np.ndarray, directions: np.ndarray) -> np.ndarray:
    """A rise of a higher-is-better series or a fall of a lower-is-better one."""
    return ((directions == "higher") & (z > 0)) | ((directions == "lower") & (z < 0))


def improvements_only(flag, z, directions) -> np.ndarray:
    """The flags of moves in the good direction; a series without a direction keeps its flags.

    The reverse of ``ThresholdRule``'s direction awareness, for checks whose signal is a
    suspicious improvement (e.g. an end-of-period jump before an assessment).
    """
    d = np.asarray(directions, dtype=object)
    better = _improvement(np.asarray(z), d)
    return np.asarray(flag, dtype=bool) & np.where(pd.isna(d), True, better)


class ScoreThreshold(BaseEstimator):
    """Flag ``score >= threshold`` on a detector's own scale (a missing score is 0).

    The decision step after a detector that only scores (run lengths, log ratios,
    ``-log10`` tail probabilities, ...); a higher threshold never adds a flag.

    Parameters
    ----------
    threshold : float
        The score from which a value is an alarm.
    """

    def __init__(self, *, threshold=1.0):
        self.threshold = threshold

    @classmethod
    def of(cls, detector) -> "ScoreThreshold":
        """The fitted threshold stage at the level the detector's ``threshold`` names."""
        return cls(threshold=detector.threshold).fit()

    def fit(self, score=None, y=None):
        if not np.isfinite(self.threshold):
            raise ValueError("threshold must be finite")
        self.threshold_ = float(self.threshold)
        return self

    def predict(self, score) -> np.ndarray:
        check_is_fitted(self)
        return np.nan_to_num(np.asarray(score, dtype=float), nan=0.0) >= self.threshold_
