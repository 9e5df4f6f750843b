"""Metrics, in one place: point and interval forecasts, probabilities, events.

* Point forecasts: sMAPE (percent) and MAE per series, from ``utilsforecast.losses``
  (``smape`` there is ``|y - f| / (|y| + |f|)``, a 0/0 term counting 0: ours is 200 times
  it, M4's definition), and the MASE scale (in-sample MAE of the seasonal naive).
* Intervals: coverage and the interval (Winkler) score ``width + 2/alpha × miss``, per
  series from ``utilsforecast.losses.winkler_score``.
* Probabilities ``p`` of the positive class against binary outcomes ``y``: Brier score
  and log loss from scikit-learn, ROC AUC, calibration (ECE, reliability table).
* :func:`event_f1` scores anomaly flags on a panel against labelled anomaly events.

M4's own aggregation (means over series, MASE's scale from the training data, OWA and
MSIS relative to Naive2) is in :mod:`govperf_ml.evaluation.m4`, built on these.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.metrics import log_loss as _sk_log_loss
from utilsforecast import losses

from govperf_ml.contracts import DS, ID, Y, DataContractError

__all__ = [
    "smape",
    "series_smape",
    "series_mae",
    "series_interval_score",
    "mase_scale",
    "coverage",
    "brier_score",
    "brier_skill_score",
    "log_loss",
    "roc_auc",
    "expected_calibration_error",
    "reliability_table",
    "prf",
    "event_f1",
]

#: utilsforecast groups by ``cutoff`` too when the frame has that column; scores here are
#: per series, so it is pointed at a column that never exists
_NO_CUTOFF = "__no_cutoff__"


# ---------------------------------------------------------------------------------------
# Point and interval forecasts
# ---------------------------------------------------------------------------------------
def _per_series(loss, frame: pd.DataFrame, models, id_col: str, target_col: str, **kw) -> pd.DataFrame:
    out = loss(frame[[id_col, target_col, *_with_bounds(frame, models)]], list(models), id_col=id_col,
               target_col=target_col, cutoff_col=_NO_CUTOFF, **kw)
    return out.set_index(id_col)[list(models)]


def _with_bounds(frame: pd.DataFrame, models) -> list[str]:
    return [c for c in frame.columns if c in models or any(c.startswith(f"{m}-") for m in models)]


def series_smape(frame: pd.DataFrame, models, *, id_col: str = ID, target_col: str = Y) -> pd.DataFrame:
    """sMAPE in percent of each series (rows) and model (columns): ``mean 200|y-f|/(|y|+|f|)``.

    A 0/0 term counts as 0; NaN terms are skipped.
    """
    return 200.0 * _per_series(losses.smape, frame, models, id_col, target_col)


def series_mae(frame: pd.DataFrame, models, *, id_col: str = ID, target_col: str = Y) -> pd.DataFrame:
    """Mean absolute error of each series (rows) and model (columns); NaN terms skipped."""
    return _per_series(losses.mae, frame, models, id_col, target_col)


def series_interval_score(frame: pd.DataFrame, models, level: int, *, id_col: str = ID,
                          target_col: str = Y) -> pd.DataFrame:
    """Mean interval score of each series and model, from ``<model>-lo-<level>`` / ``-hi-``.

    ``(hi - lo) + 2/alpha × (lo - y if y < lo, y - hi if y > hi)`` with ``alpha = 1 - level/100``
    (Gneiting & Raftery 2007; Winkler 1972); M4's MSIS divides it by the MASE scale.
    """
    return _per_series(losses.winkler_score, frame, models, id_col, target_col, level=int(level))


def smape(y, y_hat) -> float:
    """sMAPE in percent over all pairs: ``mean(200 |y - f| / (|y| + |f|))`` (0/0 counts 0).

    Pairs with a NaN are skipped.
    """
    frame = pd.DataFrame({ID: 0, Y: np.asarray(y, dtype=float).ravel(), "f": np.asarray(y_hat, dtype=float).ravel()})
    return float(series_smape(frame, ["f"])["f"].iloc[0])


def mase_scale(history: pd.DataFrame, m: int, *, id_col: str = ID, time_col: str = DS,
               target_col: str = Y) -> pd.Series:
    """MASE's scale of each series: the in-sample MAE of the seasonal naive with period ``m``,
    ``mean_t |x_t - x_{t-m}|`` (NaN differences skipped; NaN for series of ``m`` values or fewer)."""
    h = history.sort_values([id_col, time_col], kind="stable")
    diff = (h[target_col] - h.groupby(id_col, sort=False)[target_col].shift(m)).abs()
    return diff.groupby(h[id_col]).mean()


def coverage(y, lo, hi) -> float:
    """Share of actuals inside ``[lo, hi]`` (bounds included), over all points."""
    y, lo, hi = (np.asarray(a, dtype=float) for a in (y, lo, hi))
    return float(np.mean((y >= lo) & (y <= hi)))


# ---------------------------------------------------------------------------------------
# Probabilities
# ---------------------------------------------------------------------------------------
def _py(p, y) -> tuple[np.ndarray, np.ndarray]:
    p = np.asarray(p, dtype=float).ravel()
    y = np.asarray(y, dtype=float).ravel()
    if p.shape != y.shape:
        raise ValueError(f"p and y differ in length: {len(p)} vs {len(y)}")
    if len(p) == 0:
        raise ValueError("p and y are empty")
    if np.isnan(p).any() or np.isnan(y).any():
        raise ValueError("p and y must not contain NaN")
    if ((p < 0) | (p > 1)).any():
        raise ValueError("probabilities must lie in [0, 1]")
    if not np.isin(y, (0.0, 1.0)).all():
        raise ValueError("outcomes y must be 0 or 1")
    return p, y


def brier_score(p, y) -> float:
    """Mean squared difference between probability and outcome (0 is perfect, 1 worst).

    scikit-learn's ``brier_score_loss`` (both labels declared, so one-class ``y`` works).
    """
    p, y = _py(p, y)
    return float(brier_score_loss(y, p, labels=[0.0, 1.0]))


def brier_skill_score(p, y, p_ref=None) -> float:
    """``1 - BS(p) / BS(p_ref)``.

    ``p_ref`` is the reference forecast: an array, a constant, or ``None`` for climatology
    (the base rate of ``y``). Positive means better than the reference; NaN when the
    reference is perfect.
    """
    p, y = _py(p, y)
    if p_ref is None:
        ref = np.full_like(y, y.mean())
    else:
        ref = np.broadcast_to(np.asarray(p_ref, dtype=float), y.shape)
    ref_score = brier_score(ref, y)
    if ref_score == 0:
        return float("nan")
    return 1.0 - brier_score(p, y) / ref_score


def log_loss(p, y, eps: float = 1e-15) -> float:
    """Mean negative log-likelihood, with ``p`` clipped to ``[eps, 1 - eps]``.

    scikit-learn's ``log_loss`` on the clipped probabilities (it clips only to the float
    resolution itself, so a certain wrong answer would cost 36 instead of 34.5).
    """
    p, y = _py(p, y)
    return float(_sk_log_loss(y, np.clip(p, eps, 1 - eps), labels=[0.0, 1.0]))


def roc_auc(p, y) -> float:
    """Area under the ROC curve (scikit-learn); NaN when ``y`` holds only one class."""
    p, y = _py(p, y)
    if len(np.unique(y)) < 2:
        return float("nan")
    return float(roc_auc_score(y, p))


def _bins(p: np.ndarray, n_bins: int) -> np.ndarray:
    if n_bins < 1:
        raise ValueError("n_bins must be at least 1")
    # equal-width bins on [0, 1), closed on the left; p = 1 falls in the last bin
    return np.minimum((p * n_bins).astype(int), n_bins - 1)


def reliability_table(p, y, n_bins: int = 10) -> pd.DataFrame:
    """One row per equal-width bin: ``bin, p_mean, y_rate, count`` (NaN means when empty).

    Not scikit-learn's ``calibration_curve``: that one closes its bins on the right (a
    probability of exactly 0.5 falls in the bin below, here in the bin above, and the
    empirical probabilities of the targets bench often sit on such edges) and drops the
    empty bins.
    """
    p, y = _py(p, y)
    b = _bins(p, n_bins)
    count = np.bincount(b, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        p_mean = np.bincount(b, weights=p, minlength=n_bins) / count
        y_rate = np.bincount(b, weights=y, minlength=n_bins) / count
    return pd.DataFrame({"bin": np.arange(n_bins), "p_mean": p_mean, "y_rate": y_rate, "count": count})


def expected_calibration_error(p, y, n_bins: int = 10) -> float:
    """ECE: ``sum_b (n_b / N) |mean p_b - mean y_b|`` over equal-width bins."""
    table = reliability_table(p, y, n_bins).query("count > 0")
    weights = table["count"] / table["count"].sum()
    return float(np.sum(weights * np.abs(table["p_mean"] - table["y_rate"])))


# ---------------------------------------------------------------------------------------
# Events
# ---------------------------------------------------------------------------------------
def prf(tp: int, fp: int, fn: int) -> dict:
    """Precision, recall and F1 from counts (each 0 when its denominator is 0), and the counts."""
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "tp": tp, "fp": fp, "fn": fn}


def _require_columns(frame: pd.DataFrame, cols, what: str) -> None:
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise DataContractError(f"{what}: missing required column {missing[0]!r}", field=missing[0])


def _series_events(ds: np.ndarray, flag: np.ndarray, spans: pd.DataFrame | None, tolerance: int) -> tuple[int, int, int]:
    """(tp, fp, fn) of one series: its grid ``ds``, alarms ``flag`` and event spans (min, max)."""
    tp = fn = 0
    covered = np.zeros(len(ds), dtype=bool)
    for _, event in (spans.iterrows() if spans is not None else []):
        inside = (ds >= event["min"]) & (ds <= event["max"])
        if tolerance and len(ds):
            first = int(pd.Index(ds).searchsorted(event["min"], side="left"))
            inside[first : first + tolerance + 1] = True
        covered |= inside
        if (flag & inside).any():
            tp += 1
        else:
            fn += 1
    outside = flag & ~covered
    fp = int(np.count_nonzero(outside & ~np.r_[False, outside[:-1]]))
    return tp, fp, fn


def event_f1(
    pred_events: pd.DataFrame,
    true_events: pd.DataFrame,
    *,
    tolerance: int = 0,
    id_col: str = ID,
    time_col: str = DS,
    flag_col: str = "flag",
    event_col: str = "event_id",
) -> dict:
    """Event-level precision, recall and F1 of anomaly flags on a panel.

    Parameters
    ----------
    pred_events : the scored rows, ``unique_id, ds, flag`` (one row per scored point, the
        boolean ``flag`` marks an alarm). The rows define each series' time grid.
    true_events : the labelled anomaly points, ``unique_id, ds, event_id``; the points of
        one series sharing an ``event_id`` form one event spanning from its first to its
        last ``ds``. Rows with a missing ``event_id`` are ignored, so a full panel with
        ``event_id`` NaN on normal rows works too.
    tolerance : an event also counts as detected by a flag up to ``tolerance`` rows (of
        the series' grid in ``pred_events``) after its start, even past its end; such
        flags are not false positives.

    Rules: an event is a true positive if any flag falls in it (or in its tolerance),
    otherwise a false negative. Flags outside every event (and tolerance) are grouped
    into runs of consecutive rows of one series; each run is one false positive.
    Precision, recall and F1 are 0 when their denominator is 0.
    """
    _require_columns(pred_events, [id_col, time_col, flag_col], "pred_events")
    _require_columns(true_events, [id_col, time_col, event_col], "true_events")
    if tolerance < 0:
        raise ValueError("tolerance must be >= 0")
    pred = pred_events[[id_col, time_col, flag_col]].sort_values([id_col, time_col], kind="stable")
    truth = true_events.loc[true_events[event_col].notna(), [id_col, time_col, event_col]]
    spans = truth.groupby([id_col, event_col], sort=False)[time_col].agg(["min", "max"]).reset_index()
    pred_groups = dict(tuple(pred.groupby(id_col, sort=False)))
    span_groups = dict(tuple(spans.groupby(id_col, sort=False)))
    tp = fp = fn = 0
    for sid in set(pred_groups) | set(span_groups):
        rows = pred_groups.get(sid)
        ds = rows[time_col].to_numpy() if rows is not None else np.empty(0)
        flag = rows[flag_col].eq(True).to_numpy() if rows is not None else np.empty(0, dtype=bool)
        t, f, n = _series_events(ds, flag, span_groups.get(sid), tolerance)
        tp, fp, fn = tp + t, fp + f, fn + n
    return prf(tp, fp, fn)
