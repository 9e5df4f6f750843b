"""Rolling-origin backtests: forecasts of the last ``n_windows`` horizons of each series.

Every backtest in the library uses the windows defined here. The cutoffs of a series of
``n`` observations are the positions ``n - 1 - h w`` for ``w = n_windows, ..., 1``
(oldest first, 0-based): each window forecasts the ``h`` values after its cutoff from the
history up to and including it, and the last window ends with the series.

* :func:`rolling_backtest` backtests any forecaster with ``fit`` / ``forecast``: a fresh
  copy is fitted before every window (``refit``; needed for global models, which would
  otherwise have seen the answers), or the fitted one forecasts from every cutoff. Windows
  are counted from each series' own end (``align="series"``) or from the panel's last
  date (``align="panel"``: one cutoff date for all series, as in training).
* :func:`window_cutoffs` and :func:`backtest_rows` are the same windows for forecasters
  with their own, faster backtest (one fit at the first cutoff carried over the later
  windows: :class:`~govperf_ml.forecasting.lgbm.LGBMForecaster`,
  :class:`~govperf_ml.forecasting.stats.StatsForecaster`); their rows carry the forecast
  error scaled by the series' noise scale at the cutoff, for conformal intervals.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import clone

from govperf_ml.contracts import DS, ID, Y, DataContractError, validate_series
from govperf_ml.forecasting.exog import exog_kwargs
from govperf_ml.forecasting.intervals import STEP, noise_scale

__all__ = ["backtest_rows", "rolling_backtest", "window_cutoffs"]

ALIGNS = ("series", "panel")


def window_cutoffs(lengths, h: int, n_windows: int) -> np.ndarray:
    """Cutoff positions, ``(n_series, n_windows)``, oldest first: ``n - 1 - h w``."""
    lengths = np.asarray(lengths, dtype=np.int64)
    return lengths[:, None] - 1 - h * np.arange(n_windows, 0, -1, dtype=np.int64)[None, :]


def backtest_rows(uid, dates, y, cutoff: int, pred, *, alias: str, m: int) -> pd.DataFrame:
    """One series' rows of one window: ``unique_id, ds, cutoff, step, y, <alias>, error``.

    ``pred`` holds the forecasts of the values after position ``cutoff`` of ``y``; the
    error is scaled by the noise scale (:func:`noise_scale`) of the history up to it.
    """
    c = int(cutoff)
    pred = np.asarray(pred, dtype=float)
    h = len(pred)
    actual = y[c + 1 : c + 1 + h]
    scale = noise_scale(y[: c + 1], m)
    return pd.DataFrame(
        {
            ID: uid,
            DS: dates[c + 1 : c + 1 + h],
            "cutoff": dates[c],
            STEP: np.arange(1, h + 1),
            Y: actual,
            alias: pred,
            "error": (actual - pred) / scale,
        }
    )


def _series_windows(data: pd.DataFrame, h: int, n_windows: int, min_history: int):
    """(history, future, cutoff per series) of each window, counted from each series' end."""
    pos = data.groupby(ID, sort=False).cumcount()
    n = data.groupby(ID, sort=False)[DS].transform("size")
    for w in range(n_windows, 0, -1):
        keep = n >= h * w + min_history
        hist = data[keep & (pos < n - h * w)]
        future = data[keep & (pos >= n - h * w) & (pos < n - h * (w - 1))]
        yield hist, future, hist.groupby(ID, sort=False)[DS].last()


def _panel_windows(data: pd.DataFrame, h: int, n_windows: int):
    """(history, future, cutoff date) of each window, counted from the panel's last date."""
    ds_sorted = np.sort(data[DS].unique())
    for w in range(n_windows, 0, -1):
        cutoff = ds_sorted[-w * h - 1]
        yield data[data[DS] <= cutoff], data[data[DS] > cutoff], cutoff


def rolling_backtest(est, df: pd.DataFrame, *, h: int, n_windows: int, freq: str | None = None, level=(),
                     refit: bool = True, align: str = "series", min_history: int | None = None) -> pd.DataFrame:
    """Forecast the last ``n_windows`` horizons of every series from the history before them.

    Parameters
    ----------
    est : forecaster
        Cloned and fitted on each window's history with ``refit``, else used as fitted.
    df : long frame ``unique_id, ds, y`` (and any exogenous columns, taken from the data:
        their values are known in advance).
    h, n_windows : horizon and number of windows.
    freq : frequency passed to ``fit`` and ``forecast`` (inferred when None).
    level : interval levels of the forecasts (none by default).
    refit : fit a fresh copy of ``est`` before every window.
    align : ``"series"`` (cutoffs ``n - 1 - h w`` of each series) or ``"panel"`` (the
        cutoff date is the panel's ``(h w + 1)``-th last date, for all series).
    min_history : with ``align="series"``, series with fewer than this many values before
        a window are left out of it (``2 h`` when None).

    Returns
    -------
    The forecast columns (``unique_id, ds, <alias>`` and any bounds) with ``y``, ``cutoff``
    (the series' last date seen; the common cutoff date with ``align="panel"``) and
    ``step`` (1 = the first value after the cutoff).
    """
    if align not in ALIGNS:
        raise DataContractError(f"align: one of {list(ALIGNS)}; got {align!r}", field="align")
    data = validate_series(df, allow_missing_y=True)
    if align == "series":
        windows = _series_windows(data, h, n_windows, 2 * h if min_history is None else int(min_history))
    else:
        windows = _panel_windows(data, h, n_windows)
    out = []
    for hist, future, cutoff in windows:
        if hist.empty:
            continue
        model = clone(est).fit(hist, freq=freq) if refit else est
        fc = model.forecast(hist, h=h, level=level, freq=freq, **exog_kwargs(model, future))
        fc = fc.merge(future[[ID, DS, Y]], on=[ID, DS], how="inner")
        fc["cutoff"] = fc[ID].map(cutoff) if isinstance(cutoff, pd.Series) else cutoff
        fc[STEP] = fc.groupby(ID, sort=False).cumcount() + 1
        out.append(fc)
    if not out:
        raise DataContractError(f"series: all too short for a {n_windows} x {h} backtest", field=Y)
    return pd.concat(out, ignore_index=True)

