"""Data-quality, misreporting and peer detectors for KPI panels (score only, causal).

Each is a small estimator: ``fit(df)`` checks parameters and returns ``self``;
``score_frame(df)`` returns one row per input row with ``unique_id, ds, y,
anomaly_score`` (higher = more suspicious; some add a signed ``z``). A detector only
scores: its ``threshold`` parameter is the level at which the post-processing
(:class:`~govperf_ml.postprocess.threshold.ScoreThreshold`) turns its score into an alarm
(a stricter threshold never adds alarms). The score at t uses values up to t only (the
peer detector also uses the other units' values *of the same period*, never later ones).
All work on the wide (period × series) table, so a panel of thousands of series is
scored column-wise at once.

=========================  =======================  ======================================
detector                   alert kind               signal
=========================  =======================  ======================================
FlatLineDetector           data_quality             the same value repeated (copy-paste)
ScaleChangeDetector        data_quality             ×100 or ÷100 against the recent level
EndOfPeriodJumpDetector    suspected_misreporting   a jump at the assessment period's end
SmoothnessDetector         suspected_misreporting   month-to-month changes far too regular
PeerDetector               peer_outlier             far from units with the same indicator
=========================  =======================  ======================================
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from govperf_ml.anomaly._rolling import MAD_TO_SIGMA, expanding_median, rolling_median, shift1
from govperf_ml.contracts import DS, ID, Y, validate_series
from govperf_ml.vocabulary import indicator_of


def _wide(df: pd.DataFrame, id_col=ID, time_col=DS, target_col=Y):
    data = validate_series(df, id_col=id_col, time_col=time_col, target_col=target_col)
    wide = data.pivot(index=time_col, columns=id_col, values=target_col).sort_index()
    return data, wide


def _back(data: pd.DataFrame, wide_scores: dict[str, pd.DataFrame], id_col=ID, time_col=DS, target_col=Y) -> pd.DataFrame:
    """Wide score tables → long rows aligned with ``data`` (validated, sorted)."""
    out = data[[id_col, time_col, target_col]].copy().reset_index(drop=True)
    rows = wide_scores[next(iter(wide_scores))].index.get_indexer(out[time_col])
    cols = wide_scores[next(iter(wide_scores))].columns.get_indexer(out[id_col])
    for name, w in wide_scores.items():
        out[name] = w.to_numpy()[rows, cols]
    return out


class _PanelDetector(BaseEstimator):
    """Base of the panel detectors: ``threshold`` is kept for the post-processing, never applied here."""

    threshold: float

    def fit(self, df=None, y=None):
        if not np.isfinite(self.threshold):
            raise ValueError("threshold must be finite")
        self.n_features_in_ = 1
        return self

    def score_frame(self, df: pd.DataFrame, *, id_col=ID, time_col=DS, target_col=Y) -> pd.DataFrame:
        check_is_fitted(self)
        data, wide = _wide(df, id_col, time_col, target_col)
        scores = self.score_wide(wide)
        out = _back(data, scores, id_col, time_col, target_col)
        out["anomaly_score"] = np.nan_to_num(out["anomaly_score"].to_numpy(dtype=float), nan=0.0)
        return out

    def anomaly_score(self, df: pd.DataFrame, **kw) -> np.ndarray:
        return self.score_frame(df, **kw)["anomaly_score"].to_numpy()

    def score_wide(self, wide: pd.DataFrame) -> dict[str, pd.DataFrame]:
        """Scores of a wide (period × series) table: ``{"anomaly_score": ..., ["z": ...]}``."""
        check_is_fitted(self)
        return {k: pd.DataFrame(np.asarray(v, dtype=float), index=wide.index, columns=wide.columns)
                for k, v in self._score_wide(wide).items()}


class FlatLineDetector(_PanelDetector):
    """Score = how many times in a row the value equals the previous one.

    ``threshold=2`` flags the third equal value in a row (two repeats). Repeated zeros
    score 0 (an intermittent series; a blank entered as 0 is its own check), and so does a
    series that already repeated itself in more than ``max_usual_repeats`` of its values
    before the run began (coarse rounding makes equal neighbours ordinary).
    """

    def __init__(self, *, threshold=2, tol=0.0, max_usual_repeats=0.05):
        self.threshold = threshold
        self.tol = tol
        self.max_usual_repeats = max_usual_repeats

    def _score_wide(self, wide):
        same = (wide - wide.shift(1)).abs() <= self.tol
        same = (same & wide.notna() & (wide != 0)).to_numpy()
        run = _run_length(same)
        # share of repeats among the values before the run began
        cum = np.vstack([np.zeros((1, same.shape[1])), np.cumsum(same, axis=0)])
        start = (np.arange(same.shape[0])[:, None] - run).astype(int)
        cols = np.arange(same.shape[1])[None, :]
        before = cum[np.maximum(start, 0), cols] / np.maximum(start, 1)
        run = np.where(before <= self.max_usual_repeats, run, 0.0)
        return {"anomaly_score": pd.DataFrame(run, index=wide.index, columns=wide.columns)}


def _run_length(mask: np.ndarray) -> np.ndarray:
    out = np.zeros(mask.shape, dtype=float)
    run = np.zeros(mask.shape[1])
    for t in range(mask.shape[0]):  # loops over periods only; columns are vectorised
        run = np.where(mask[t], run + 1, 0)
        out[t] = run
    return out


class ScaleChangeDetector(_PanelDetector):
    """Score = |log10(|y| / median |y| of the last ``window`` values before t)|.

    2 is a ×100 or ÷100 error (a fraction reported instead of a percent, a wrong unit).
    """

    def __init__(self, *, threshold=1.5, window=12, min_periods=4):
        self.threshold = threshold
        self.window = window
        self.min_periods = min_periods

    def _score_wide(self, wide):
        a = wide.abs().to_numpy()
        ref = shift1(rolling_median(a, self.window, self.min_periods))
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.abs(np.log10(a / ref))
        r = np.where(np.isfinite(r) & (a > 0), r, 0.0)
        return {"anomaly_score": pd.DataFrame(r, index=wide.index, columns=wide.columns)}


def _signed_change_z(wide, window, min_periods):
    w = wide.to_numpy(dtype=float)
    d = w - shift1(w)
    med = shift1(rolling_median(d, window, min_periods))
    mad = shift1(rolling_median(np.abs(d - med), window, min_periods))
    scale = np.maximum(MAD_TO_SIGMA * mad, 1e-9 + 0.002 * np.abs(shift1(w)))
    with np.errstate(divide="ignore", invalid="ignore"):
        return pd.DataFrame((d - med) / scale, index=wide.index, columns=wide.columns)


class EndOfPeriodJumpDetector(_PanelDetector):
    """Score = |z| of the change into a period-end month against past changes.

    ``z`` (signed, in the output) lets the pipeline keep only improvements: a value that
    jumps in the good direction right before the assessment is a misreporting signal.
    """

    def __init__(self, *, threshold=3.5, period_end_months=(12,), window=24, min_periods=8):
        self.threshold = threshold
        self.period_end_months = period_end_months
        self.window = window
        self.min_periods = min_periods

    def _score_wide(self, wide):
        z = _signed_change_z(wide, self.window, self.min_periods)
        end = np.isin(wide.index.month, list(self.period_end_months))
        z = z.where(pd.Series(end, index=wide.index), 0.0, axis=0).fillna(0.0)
        return {"anomaly_score": z.abs(), "z": z}


class SmoothnessDetector(_PanelDetector):
    """Score = 1 - (spread of the last ``window`` changes / its usual spread before).

    Near 1: the series moves far more regularly than it used to (implausibly smooth).
    Exactly repeated values are the flat-line detector's business and score 0 here.
    """

    def __init__(self, *, threshold=0.85, window=6, min_history=24):
        self.threshold = threshold
        self.window = window
        self.min_history = min_history

    def _score_wide(self, wide):
        w = wide.to_numpy(dtype=float)
        d = w - shift1(w)
        recent = np.full(w.shape, np.nan)
        if len(d) >= self.window:
            view = np.lib.stride_tricks.sliding_window_view(d, self.window, axis=0)
            recent[self.window - 1 :] = np.std(view, axis=2, ddof=1)
        past = np.full(w.shape, np.nan)
        past[self.window :] = recent[: -self.window]
        usual = expanding_median(past, max(1, self.min_history - self.window))
        with np.errstate(divide="ignore", invalid="ignore"):
            s = 1.0 - recent / usual
        s = np.where(np.isfinite(s) & (recent > 0), np.clip(s, 0.0, 1.0), 0.0)
        return {"anomaly_score": pd.DataFrame(s, index=wide.index, columns=wide.columns)}


class PeerDetector(_PanelDetector):
    """Score = how far a unit moved away from its peers, in peer spreads.

    Per period, ``d = (y - median of peers) / (1.4826 × MAD of peers)`` across the units
    of one peer group (by default: the same indicator, ``unique_id = "<unit>|<indicator>"``).
    A unit that is always a little different is not news, so the score is
    ``|d_t - median(d over the last `window` periods before t)|``, and requires
    ``|d_t| >= min_gap`` too. Groups with fewer than ``min_peers`` units score 0.
    """

    def __init__(self, *, threshold=3.0, window=12, min_gap=3.0, min_peers=4, group_of=indicator_of):
        self.threshold = threshold
        self.window = window
        self.min_gap = min_gap
        self.min_peers = min_peers
        self.group_of = group_of

    def _score_wide(self, wide):
        groups = pd.Series([self.group_of(c) for c in wide.columns])
        score = np.zeros(wide.shape)
        dz = np.zeros(wide.shape)
        for cols in groups.groupby(groups, sort=False).indices.values():
            if len(cols) < self.min_peers:
                continue
            v = wide.iloc[:, cols].to_numpy(dtype=float)
            with np.errstate(all="ignore"):
                med = np.nanmedian(v, axis=1, keepdims=True)
                mad = MAD_TO_SIGMA * np.nanmedian(np.abs(v - med), axis=1, keepdims=True)
                d = (v - med) / np.maximum(mad, 1e-9 + 1e-3 * np.abs(med))
            base = shift1(rolling_median(d, self.window, 3))
            s = np.abs(d - base)
            s = np.where(np.isfinite(s) & (np.abs(d) >= self.min_gap), s, 0.0)
            score[:, cols] = s
            dz[:, cols] = np.nan_to_num(d)
        return {"anomaly_score": pd.DataFrame(score, index=wide.index, columns=wide.columns),
                "z": pd.DataFrame(dz, index=wide.index, columns=wide.columns)}
