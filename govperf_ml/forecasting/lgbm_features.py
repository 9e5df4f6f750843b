"""Features of the global LightGBM forecaster (:mod:`govperf_ml.forecasting.lgbm`).

A row describes one forecast origin ``T`` of one series and one step ``k``; every window
is scaled by its own level (the mean absolute value of the last season before ``T``).
The columns, in order:

* recent lags ``y[T], y[T-1], ...`` (``lags``);
* rolling mean, std, min and max over the last season and over the whole window, and the
  log of the scale;
* per step: the seasonal lags aligned with the target (for each period ``p`` the values at
  the same phase as ``T+k`` in the last ``r`` seasons observed at ``T``), optionally their
  mean and median, the step ``k``, calendar features of ``T+k`` and the exogenous values
  at ``T+k`` and ``T``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from govperf_ml.contracts import DS, ID, Y
from govperf_ml.forecasting.exog import rows_at

__all__ = ["FeatureSpec", "Panel", "calendar_matrix", "design_matrix"]


@dataclass(frozen=True)
class FeatureSpec:
    """What the feature rows hold (the fitted settings of the forecaster)."""

    window: int
    season: int
    lags: tuple
    seasonal_lags: tuple
    seasonal_stats: bool
    calendar: bool


class Panel:
    """Series of a validated long frame as numpy arrays (one per id).

    ``x[i]`` is series i's exogenous matrix (``len(y[i])`` rows, more once future rows
    are appended; zero columns without exogenous regressors).
    """

    def __init__(self, ids, y, dates, last_ds, x=None):
        self.ids = list(ids)
        self.y = list(y)
        self.dates = list(dates)
        self.last_ds = list(last_ds)
        self.x = list(x) if x is not None else [np.zeros((len(v), 0)) for v in self.y]
        self.lengths = np.array([len(v) for v in self.y], dtype=np.int64)

    @classmethod
    def from_frame(cls, data: pd.DataFrame, exog=()) -> Panel:
        """``data`` validated by ``validate_series`` (with ``exog`` among its columns)."""
        exog = list(exog)
        ids, ys, dates, last, xs = [], [], [], [], []
        for uid, g in data.groupby(ID, sort=False):
            ids.append(uid)
            ys.append(g[Y].to_numpy(dtype=float))
            d = pd.DatetimeIndex(g[DS])
            dates.append(d)
            last.append(d[-1])
            xs.append(g[exog].to_numpy(dtype=float) if exog else np.zeros((len(g), 0)))
        return cls(ids, ys, dates, last, xs)

    def extend_x(self, future: dict) -> None:
        """Append each series' future exogenous rows (``{id: array}``)."""
        self.x = [np.vstack([x, future[uid]]) for uid, x in zip(self.ids, self.x)]

    def subset(self, mask) -> Panel:
        idx = np.flatnonzero(mask)
        return Panel([self.ids[i] for i in idx], [self.y[i] for i in idx], [self.dates[i] for i in idx],
                     [self.last_ds[i] for i in idx], [self.x[i] for i in idx])

    def nonneg(self) -> bool:
        """Whether every series with an observation is non-negative."""
        return bool(all(np.nanmin(y) >= 0 for y in self.y if np.isfinite(y).any()))


def design_matrix(spec: FeatureSpec, y, dates, origins, ks, future_dates_=None, x=None):
    """Feature rows for every (origin, step) pair of one series, step-major.

    ``dates`` are the calendar rows of the series (``future_dates_`` those of the steps
    after a single origin at the end); ``x`` is the series' exogenous matrix (rows aligned
    with ``y``, possibly longer: future rows); steps past its end get NaN. Returns the
    rows (float32), each row's scale and its step.
    """
    L = spec.window
    W = _windows(y, origins, L)  # (nO, L): W[:, L-1-j] = y[T-j]
    s = _scale(W, spec.season)
    Z = W / s[:, None]
    base = _origin_features(Z, s, spec)
    blocks = []
    for k in ks:
        cols = [base, *_seasonal_block(Z, k, spec)]
        cols.append(np.full((len(origins), 1), float(k)))
        if spec.calendar:
            if future_dates_ is not None:
                cols.append(future_dates_[np.full(len(origins), k - 1)])
            else:
                cols.append(dates[np.minimum(origins + k, len(dates) - 1)])  # rows past the end are dropped
        if x is not None and x.shape[1]:
            cols += [rows_at(x, origins + k), rows_at(x, origins)]
        blocks.append(np.hstack(cols))
    return np.vstack(blocks).astype(np.float32), np.tile(s, len(ks)), np.repeat(np.asarray(ks), len(origins))


def _scale(W: np.ndarray, m: int) -> np.ndarray:
    """Each window's level: mean |y| over its last season (the whole window, else 1)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        s = np.nanmean(np.abs(W[:, W.shape[1] - m :]), axis=1)
        alt = np.nanmean(np.abs(W), axis=1)
    return np.where(np.isfinite(s) & (s > 0), s, np.where(np.isfinite(alt) & (alt > 0), alt, 1.0))


def _origin_features(Z: np.ndarray, s: np.ndarray, spec: FeatureSpec) -> np.ndarray:
    """Recent lags, rolling statistics and the log scale (the same for every step)."""
    L = spec.window
    base = [Z[:, L - j] for j in spec.lags]
    for win in sorted({spec.season, L}):
        seg = Z[:, L - win :]
        with np.errstate(invalid="ignore"), _quiet():
            base += [np.nanmean(seg, 1), np.nanstd(seg, 1), np.nanmin(seg, 1), np.nanmax(seg, 1)]
    base.append(np.log(s))
    return np.column_stack(base)


def _seasonal_block(Z: np.ndarray, k: int, spec: FeatureSpec) -> list:
    """Target-aligned seasonal lags of step ``k`` (and their mean / median)."""
    L = spec.window
    al = []
    for p, r in spec.seasonal_lags:
        c = int(np.ceil(k / p))
        for i in range(r):
            j = p * (c + i) - k  # y[T+k - p(c+i)] = y[T-j]
            al.append(Z[:, L - 1 - j] if j <= L - 1 else np.full(len(Z), np.nan))
    if not al:
        return []
    block = [np.column_stack(al)]
    if spec.seasonal_stats:
        block.append(_seasonal_stats(block[0], spec.seasonal_lags))
    return block


def calendar_matrix(ds, freq: str) -> np.ndarray:
    """Calendar features of timestamps (rows) for a canonical frequency."""
    ds = pd.DatetimeIndex(ds)
    cols = []
    if freq == "H":
        cols.append(ds.hour.to_numpy())
    if freq in ("H", "D"):
        from govperf_ml.calendar import calendar_features

        cal = calendar_features(ds.normalize())
        cols += [cal[c].to_numpy() for c in ("dow", "is_workday", "is_holiday", "is_adjusted_workday",
                                              "days_to_next_holiday", "days_since_last_holiday")]
    if freq in ("D", "W", "M"):
        cols.append(ds.month.to_numpy())
    if freq == "W":
        cols.append(ds.isocalendar().week.to_numpy())
    if freq == "Q":
        cols.append(ds.quarter.to_numpy())
    if not cols:
        return np.zeros((len(ds), 0), dtype=np.float32)
    return np.column_stack(cols).astype(np.float32)


def _windows(y: np.ndarray, origins: np.ndarray, L: int) -> np.ndarray:
    pad = np.concatenate([np.full(L - 1, np.nan), np.asarray(y, dtype=float)])
    return sliding_window_view(pad, L)[np.asarray(origins, dtype=np.int64)]


def _seasonal_stats(A: np.ndarray, seasonal_lags) -> np.ndarray:
    """Mean (and median from 3 on) of each period's target-aligned seasonal lags."""
    out, off = [], 0
    for _, r in seasonal_lags:
        seg = A[:, off : off + r]
        off += r
        if r >= 2:
            with _quiet():
                out.append(np.nanmean(seg, 1))
                if r >= 3:
                    out.append(np.nanmedian(seg, 1))
    return np.column_stack(out) if out else np.zeros((len(A), 0))


class _quiet(warnings.catch_warnings):
    """Silence numpy's all-NaN-slice warnings inside the feature builder."""

    def __enter__(self):
        out = super().__enter__()
        warnings.simplefilter("ignore", category=RuntimeWarning)
        return out
