"""Numenta Anomaly Benchmark (NAB) scoring, re-implemented with numpy.

This follows NAB v1.1 (``numenta/NAB``: ``nab/sweeper.py``, ``nab/scorer.py``,
``nab/optimizer.py``, ``nab/runner.py``, ``nab/util.py``, ``config/profiles.json``):

* **Windows.** ``labels/combined_windows.json`` maps ``"<category>/<file>.csv"`` to a list
  of ``[start, end]`` timestamps (with a ``.000000`` suffix; only the first 19 characters
  are compared). A window covers the rows with ``start <= timestamp <= end``. Reading and
  writing the corpus is :mod:`govperf_ml.evaluation.nab_corpus`.
* **Probation.** The first ``min(floor(0.15 * n), 0.15 * 5000)`` rows (at most 750) of
  every file are not scored (``nab.util.getProbationPeriod``).
* **Sweep score of a row** (``Sweeper.calcSweepScore``). For a row ``i`` inside a window
  whose rows are ``L..R`` (width ``W = R - L + 1``)::

      position = -(R - i + 1) / W                      # -1 at the first row of the window
      S(i)     = scaled_sigmoid(position) * tpWeight / scaled_sigmoid(-1)

  so the first row of a window is worth exactly ``tpWeight`` and the value decays towards
  the end of the window. For a row outside all windows that follows a window ending at
  ``R`` with width ``W``::

      position = (i - R) / (W - 1)
      S(i)     = scaled_sigmoid(position) * fpWeight    # ~0 just after the window, -> -fpWeight

  and a row before the first window is worth ``-fpWeight``. ``scaled_sigmoid(x)`` is
  ``2 / (1 + exp(5 x)) - 1``, or ``-1`` for ``x > 3``.
* **Score at a threshold** (``Sweeper.calcScoreByThreshold``). A row is a detection when its
  anomaly score is ``>= threshold``. Each window contributes the best (i.e. the earliest)
  ``S`` among its detections, or ``-fnWeight`` if it has none; every detection outside the
  windows adds its (negative) ``S``.
* **Threshold.** One threshold per profile for the whole corpus, chosen by NAB's
  ``optimizeThreshold``: every distinct anomaly score (plus 1.1, "detect nothing") is tried
  and the best corpus score wins (ties go to the highest threshold). Here that sweep is one
  sort and one cumulative sum instead of NAB's Python loop.
* **Normalisation** (``Runner.normalize``): ``100 * (raw - null) / (perfect - null)`` with
  ``null`` the raw score of a detector that never fires (``-fnWeight`` per window) and
  ``perfect`` ``tpWeight`` per window (one detection on the first row of each window).

Deviations, none of which occur on the NAB corpus itself: a window of a single row followed
by an outside row divides by zero in NAB; here that row gets position 2.0 (as in NAB's
older ``scorer.py``). Window limits that are not exact timestamps are snapped to the rows
inside them, and windows without rows are dropped (NAB's labeler rejects both). ``null``
and ``perfect`` count the windows that have at least one scored (post-probation) row, where
NAB counts every window in the label file.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from govperf_ml.evaluation.nab_corpus import as_scores as _as_scores
from govperf_ml.evaluation.nab_corpus import timestamps as _timestamps
from govperf_ml.evaluation.nab_corpus import window_bounds as _window_bounds

__all__ = [
    "PROFILES",
    "PROBATION_PERCENT",
    "nab_scores",
    "probation_length",
    "scaled_sigmoid",
    "sweep_scores",
    "event_prf",
]

PROFILES: dict[str, dict[str, float]] = {
    "standard": {"tpWeight": 1.0, "fnWeight": 1.0, "fpWeight": 0.11, "tnWeight": 1.0},
    "reward_low_FP_rate": {"tpWeight": 1.0, "fnWeight": 1.0, "fpWeight": 0.22, "tnWeight": 1.0},
    "reward_low_FN_rate": {"tpWeight": 1.0, "fnWeight": 2.0, "fpWeight": 0.11, "tnWeight": 1.0},
}
PROBATION_PERCENT = 0.15
_NOTHING_THRESHOLD = 1.1  # NAB's starting threshold: no row is a detection


# ---------------------------------------------------------------------------------------
# The per-row NAB weights
# ---------------------------------------------------------------------------------------
def scaled_sigmoid(x: np.ndarray | float) -> np.ndarray | float:
    """NAB's scaled sigmoid: ``2 / (1 + exp(5 x)) - 1``, and ``-1`` for ``x > 3``.

    ``x = -1`` (first row of a window) gives 0.98661, ``x = 0`` gives 0, ``x = 1`` gives
    -0.98661.
    """
    arr = np.asarray(x, dtype=float)
    with np.errstate(over="ignore"):
        val = np.where(arr > 3.0, -1.0, 2.0 * (1.0 / (1.0 + np.exp(5.0 * arr))) - 1.0)
    return float(val) if np.ndim(x) == 0 else val


_MAX_TP = float(scaled_sigmoid(-1.0))


def probation_length(n_rows: int, probation_percent: float = PROBATION_PERCENT) -> float:
    """``min(floor(p * n), p * 5000)``: rows with index below this are not scored."""
    return min(math.floor(probation_percent * n_rows), probation_percent * 5000)


def _unweighted(n: int, bounds: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    """Per-row ``(window index or -1, unweighted sweep value)``.

    Inside window: ``scaled_sigmoid(position)`` (to be multiplied by ``tpWeight / maxTP``);
    outside: ``scaled_sigmoid(position past the preceding window)`` or -1 (to be multiplied
    by ``fpWeight``).
    """
    win = np.full(n, -1, dtype=np.int64)
    raw = np.full(n, -1.0)
    for k, (left, right) in enumerate(bounds):
        width = right - left + 1
        idx = np.arange(left, right + 1)
        raw[left : right + 1] = scaled_sigmoid(-(right - idx + 1) / float(width))
        win[left : right + 1] = k
        stop = bounds[k + 1][0] if k + 1 < len(bounds) else n
        if stop > right + 1:
            after = np.arange(right + 1, stop)
            pos = (after - right) / float(width - 1) if width > 1 else np.full(len(after), 2.0)
            raw[right + 1 : stop] = scaled_sigmoid(pos)
    return win, raw


def _weigh(raw: np.ndarray, inside: np.ndarray, cost: Mapping[str, float]) -> np.ndarray:
    return np.where(inside, raw * cost["tpWeight"] / _MAX_TP, raw * cost["fpWeight"])


def sweep_scores(
    timestamps: pd.Series | np.ndarray | pd.DataFrame,
    windows: Iterable,
    profile: str | Mapping[str, float] = "standard",
    probation_percent: float = PROBATION_PERCENT,
) -> np.ndarray:
    """NAB's per-row sweep score ``S(i)``: what row ``i`` adds if it is a detection.

    Inside a window this is the true-positive value of detecting there first; outside, the
    (negative) false-positive cost. Rows in the probationary period are NaN.
    """
    cost = _cost(profile)
    ts = _timestamps(timestamps)
    win, raw = _unweighted(len(ts), _window_bounds(ts, windows))
    out = _weigh(raw, win >= 0, cost)
    out[: int(math.ceil(probation_length(len(ts), probation_percent)))] = np.nan
    return out


# ---------------------------------------------------------------------------------------
# Corpus scoring
# ---------------------------------------------------------------------------------------
def _cost(profile: str | Mapping[str, float]) -> dict[str, float]:
    if isinstance(profile, str):
        if profile not in PROFILES:
            raise ValueError(f"unknown NAB profile {profile!r}; known: {list(PROFILES)}")
        return PROFILES[profile]
    missing = {"tpWeight", "fpWeight", "fnWeight"} - set(profile)
    if missing:
        raise ValueError(f"cost matrix lacks {sorted(missing)}")
    return dict(profile)


def _round_significant(values, digits: int) -> np.ndarray:
    arr = np.asarray(values.to_numpy() if isinstance(values, pd.Series) else values, dtype=float)
    fmt = f"%.{int(digits)}g"
    return np.array([float(fmt % v) for v in arr.tolist()], dtype=float)


class _Corpus:
    """All scored (post-probation) rows of a corpus, flattened."""

    def __init__(self, scores, data, windows, probation_percent):
        a_parts, raw_parts, win_parts, file_parts = [], [], [], []
        self.files: list[str] = []
        self.window_file: list[int] = []
        offset = 0
        for f, key in enumerate(sorted(scores)):
            if key not in data:
                raise KeyError(f"no data for scored file {key!r}")
            ts = _timestamps(data[key], key)
            a = _as_scores(scores[key], len(ts), key)
            bounds = _window_bounds(ts, windows.get(key, []))
            win, raw = _unweighted(len(ts), bounds)
            keep = np.arange(len(ts)) >= probation_length(len(ts), probation_percent)
            local = np.unique(win[keep & (win >= 0)])  # windows with scored rows
            remap = np.full(len(bounds) + 1, -1, dtype=np.int64)
            remap[local] = offset + np.arange(len(local))
            self.window_file.extend([f] * len(local))
            offset += len(local)
            a_parts.append(a[keep])
            raw_parts.append(raw[keep])
            win_parts.append(remap[win[keep]])  # win == -1 maps to remap[-1] == -1
            file_parts.append(np.full(int(keep.sum()), f, dtype=np.int64))
            self.files.append(key)
        self.a = np.concatenate(a_parts) if a_parts else np.empty(0)
        self.raw = np.concatenate(raw_parts) if raw_parts else np.empty(0)
        self.win = np.concatenate(win_parts) if win_parts else np.empty(0, dtype=np.int64)
        self.file = np.concatenate(file_parts) if file_parts else np.empty(0, dtype=np.int64)
        self.inside = self.win >= 0
        self.n_windows = offset
        self.window_file = np.asarray(self.window_file, dtype=np.int64)
        # one descending sort shared by all profiles (stable, like NAB's sorted(reverse=True))
        self.order = np.argsort(-self.a, kind="stable")
        self.a_sorted = self.a[self.order]

    # -- the sweep ---------------------------------------------------------------------
    def sweep(self, cost) -> tuple[np.ndarray, np.ndarray]:
        """Corpus score at every candidate threshold: (thresholds, scores), highest first."""
        fn_w = cost["fnWeight"]
        s = _weigh(self.raw, self.inside, cost)
        order = self.order
        contrib = np.where(self.inside, 0.0, s)[order]
        # each window adds (running max of its detected S, starting at -fnWeight) increments
        in_sorted = self.inside[order]
        ranks = np.flatnonzero(in_sorted)
        if len(ranks):
            wid = self.win[order][ranks]
            by_window = np.lexsort((ranks, wid))  # window, then rank (descending score)
            ranks, wid = ranks[by_window], wid[by_window]
            vals = s[order][ranks]
            starts = np.r_[True, wid[1:] != wid[:-1]]
            run = np.empty(len(vals))
            seg_start = np.flatnonzero(starts)
            seg_end = np.r_[seg_start[1:], len(vals)]
            for b, e in zip(seg_start, seg_end):  # one short loop per window
                run[b:e] = np.maximum.accumulate(np.maximum(vals[b:e], -fn_w))
            prev = np.where(starts, -fn_w, np.r_[-fn_w, run[:-1]])
            np.add.at(contrib, ranks, run - prev)
        base = -fn_w * self.n_windows
        total = base + np.cumsum(contrib)
        a_sorted = self.a_sorted
        ends = np.flatnonzero(np.r_[a_sorted[1:] != a_sorted[:-1], True]) if len(a_sorted) else np.empty(0, int)
        top = _NOTHING_THRESHOLD if not len(a_sorted) or a_sorted[0] < _NOTHING_THRESHOLD else np.inf
        thresholds = np.r_[top, a_sorted[ends]]
        scores = np.r_[base, total[ends]]
        return thresholds, scores

    # -- score at a fixed threshold ----------------------------------------------------------
    def at(self, cost, threshold: float) -> pd.DataFrame:
        """Per-file NAB table at ``threshold`` (like NAB's ``<detector>_<profile>_scores.csv``)."""
        s = _weigh(self.raw, self.inside, cost)
        active = self.a >= threshold
        n_files = len(self.files)
        fp_rows = active & ~self.inside
        tp_rows = active & self.inside
        best = np.full(self.n_windows, -np.inf)
        np.maximum.at(best, self.win[tp_rows], s[tp_rows])
        detected = np.isfinite(best)
        window_value = np.where(detected, np.maximum(best, -cost["fnWeight"]), -cost["fnWeight"])
        score = np.bincount(self.file[fp_rows], weights=s[fp_rows], minlength=n_files) + np.bincount(
            self.window_file, weights=window_value, minlength=n_files
        )
        count = lambda mask: np.bincount(self.file[mask], minlength=n_files)  # noqa: E731
        return pd.DataFrame(
            {
                "file": self.files,
                "score": score,
                "tp": count(tp_rows),
                "tn": count(~active & ~self.inside),
                "fp": count(fp_rows),
                "fn": count(~active & self.inside),
                "windows": np.bincount(self.window_file, minlength=n_files),
                "windows_detected": np.bincount(self.window_file, weights=detected, minlength=n_files).astype(int),
            }
        )


def nab_scores(
    scores: Mapping[str, np.ndarray | pd.Series],
    data: Mapping[str, pd.DataFrame],
    windows: Mapping[str, Iterable],
    profiles: Iterable[str] | Mapping[str, Mapping[str, float]] = (
        "standard",
        "reward_low_FP_rate",
        "reward_low_FN_rate",
    ),
    *,
    threshold: float | None = None,
    probation_percent: float = PROBATION_PERCENT,
    score_digits: int | None = None,
) -> dict[str, dict]:
    """NAB score of per-row anomaly scores, one entry per profile.

    Parameters
    ----------
    scores : ``{"<category>/<file>.csv": anomaly scores}``, one value per row of
        ``data[file]`` (positionally). The corpus is the set of files in ``scores``.
    data : ``{file: DataFrame}`` with a ``timestamp`` column (as from :func:`load_nab`).
    windows : ``{file: [(start, end), ...]}`` (as from :func:`load_windows`); a file
        without an entry has no windows.
    profiles : profile names from :data:`PROFILES`, or ``{name: cost matrix}``.
    threshold : score every profile at this threshold instead of NAB's optimised one
        (a row is a detection when its score is ``>= threshold``).
    score_digits : round the anomaly scores to this many significant digits first. The
        published NAB scoreboard was computed from results files written by Python 2,
        which kept 12 significant digits (``str(float)``), so many scores just below 1
        became exactly 1.0; ``score_digits=12`` reproduces those numbers.

    Returns
    -------
    ``{profile: {"score", "threshold", "raw", "null", "perfect", "tp", "tn", "fp", "fn",
    "windows", "windows_detected", "files"}}``. ``score`` is the normalised NAB score
    (null detector 0, perfect 100; NaN when the corpus has no windows); ``tp``/``fp``/
    ``fn``/``tn`` are NAB's row counts (detections inside/outside windows);
    ``windows_detected`` counts windows with at least one detection; ``files`` is the
    per-file table at the chosen threshold.
    """
    if score_digits is not None:
        scores = {key: _round_significant(val, score_digits) for key, val in scores.items()}
    named = profiles.items() if isinstance(profiles, Mapping) else ((p, p) for p in profiles)
    costs = {name: _cost(cost) for name, cost in named}
    corpus = _Corpus(scores, data, windows, probation_percent)
    return {name: _profile_result(corpus, cost, threshold) for name, cost in costs.items()}


def _profile_result(corpus: _Corpus, cost: Mapping[str, float], threshold: float | None) -> dict:
    """One profile's entry of :func:`nab_scores`: NAB's optimised threshold unless one is given."""
    if threshold is None:
        thresholds, sweep = corpus.sweep(cost)
        chosen = float(thresholds[int(np.argmax(sweep))])  # first maximum: the highest threshold among ties
    else:
        chosen = float(threshold)
    table = corpus.at(cost, chosen)
    raw = float(table["score"].sum())
    null = -cost["fnWeight"] * corpus.n_windows
    perfect = cost["tpWeight"] * corpus.n_windows
    return {
        "score": 100.0 * (raw - null) / (perfect - null) if perfect != null else float("nan"),
        "threshold": chosen,
        "raw": raw,
        "null": null,
        "perfect": perfect,
        **{k: int(table[k].sum()) for k in ("tp", "tn", "fp", "fn")},
        "windows": int(corpus.n_windows),
        "windows_detected": int(table["windows_detected"].sum()),
        "files": table,
    }


# ---------------------------------------------------------------------------------------
# Event-level precision / recall
# ---------------------------------------------------------------------------------------
def _prf(tp: int, fp: int, fn: int) -> dict:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "tp": tp, "fp": fp, "fn": fn}


def event_prf(
    detections: Mapping[str, np.ndarray],
    data: Mapping[str, pd.DataFrame],
    windows: Mapping[str, Iterable],
    *,
    probation_percent: float = PROBATION_PERCENT,
) -> dict:
    """Event-level precision, recall and F1 of boolean detections (not point-adjusted).

    * A window is a true positive if at least one detection falls inside it, otherwise a
      false negative; extra detections in the same window change nothing.
    * Detections outside every window are grouped into maximal runs of consecutive rows;
      each run is one false-positive event (so an alarm that stays on for 20 rows is one
      false alarm, two alarms separated by one quiet row are two).
    * As in NAB, rows in each file's probationary period are ignored (set
      ``probation_percent=0`` to score every row), and windows with no scored row are
      not counted.

    Precision, recall and F1 are 0 when their denominator is 0 (scikit-learn's
    ``zero_division=0``).
    """
    tp = fp = fn = 0
    for key in sorted(detections):
        ts = _timestamps(data[key], key)
        det = np.asarray(detections[key], dtype=bool)
        if det.shape != (len(ts),):
            raise ValueError(f"{key}: {det.shape} detections for {len(ts)} rows")
        keep = np.arange(len(ts)) >= probation_length(len(ts), probation_percent)
        det = det & keep
        inside = np.zeros(len(ts), dtype=bool)
        for left, right in _window_bounds(ts, windows.get(key, [])):
            if not keep[left : right + 1].any():
                continue
            inside[left : right + 1] = True
            if det[left : right + 1].any():
                tp += 1
            else:
                fn += 1
        outside = det & ~inside
        fp += int(np.count_nonzero(outside & ~np.r_[False, outside[:-1]]))
    return _prf(tp, fp, fn)
