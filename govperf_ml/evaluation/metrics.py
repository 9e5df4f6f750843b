"""Probability and event metrics: Brier, log loss, AUC, calibration, event-level F1.

The probability metrics take predicted probabilities ``p`` of the positive class and
binary outcomes ``y`` (0/1 or bool) as 1-D arrays. :func:`event_f1` scores anomaly flags
on a panel (``unique_id``, ``ds``) against labelled anomaly events.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from govperf_ml.contracts import DS, ID, DataContractError

__all__ = [
    "brier_score",
    "brier_skill_score",
    "log_loss",
    "roc_auc",
    "expected_calibration_error",
    "reliability_table",
    "event_f1",
]


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
    """Mean squared difference between probability and outcome (0 is perfect, 1 worst)."""
    p, y = _py(p, y)
    return float(np.mean((p - y) ** 2))


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
    """Mean negative log-likelihood, with ``p`` clipped to ``[eps, 1 - eps]``."""
    p, y = _py(p, y)
    p = np.clip(p, eps, 1 - eps)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def roc_auc(p, y) -> float:
    """Area under the ROC curve (scikit-learn); NaN when ``y`` holds only one class."""
    p, y = _py(p, y)
    if len(np.unique(y)) < 2:
        return float("nan")
    return float(roc_auc_score(y, p))


def _bins(p: np.ndarray, n_bins: int) -> np.ndarray:
    if n_bins < 1:
        raise ValueError("n_bins must be at least 1")
    # equal-width bins on [0, 1]; p = 1 falls in the last bin
    return np.minimum((p * n_bins).astype(int), n_bins - 1)


def reliability_table(p, y, n_bins: int = 10) -> pd.DataFrame:
    """One row per equal-width bin: ``bin, p_mean, y_rate, count`` (NaN means when empty)."""
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
# Event-level F1 on panels
# ---------------------------------------------------------------------------------------
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
    for frame, cols, what in (
        (pred_events, [id_col, time_col, flag_col], "pred_events"),
        (true_events, [id_col, time_col, event_col], "true_events"),
    ):
        missing = [c for c in cols if c not in frame.columns]
        if missing:
            raise DataContractError(f"{what}: missing required column {missing[0]!r}", field=missing[0])
    if tolerance < 0:
        raise ValueError("tolerance must be >= 0")
    pred = pred_events[[id_col, time_col, flag_col]].sort_values([id_col, time_col], kind="stable")
    truth = true_events.loc[true_events[event_col].notna(), [id_col, time_col, event_col]]
    spans = truth.groupby([id_col, event_col], sort=False)[time_col].agg(["min", "max"]).reset_index()

    tp = fn = fp = 0
    pred_groups = dict(tuple(pred.groupby(id_col, sort=False)))
    span_groups = dict(tuple(spans.groupby(id_col, sort=False)))
    for sid in set(pred_groups) | set(span_groups):
        rows = pred_groups.get(sid)
        ds = rows[time_col].to_numpy() if rows is not None else np.empty(0)
        flag = rows[flag_col].eq(True).to_numpy() if rows is not None else np.empty(0, dtype=bool)
        covered = np.zeros(len(ds), dtype=bool)
        for _, event in (span_groups[sid].iterrows() if sid in span_groups else []):
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
        fp += int(np.count_nonzero(outside & ~np.r_[False, outside[:-1]]))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "tp": tp, "fp": fp, "fn": fn}
