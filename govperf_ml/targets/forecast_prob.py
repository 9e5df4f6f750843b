"""A second source of the aggregate's distribution: the forecaster's predictive paths.

The empirical forecast of :mod:`govperf_ml.targets.features` rests on the series' own past
origins; with fewer than ``MIN_ORIGINS`` of them it is a random-walk guess. Here AutoETS
(statsforecast, the statistical member of the forecasting ensemble) is fitted to the
values seen and simulates ``n_paths`` future paths; the target's aggregate is computed on
every path, so the probability of missing (``p_forecast``) keeps the correlation between
the steps that a sum or mean of per-step intervals would lose.

A history too short for ETS (statsforecast refuses "tiny datasets") gets normal paths of
a random walk from the last value with the spread of the recent changes.
"""

from __future__ import annotations

import warnings

import numpy as np

N_PATHS = 200
MIN_ETS = 8  # shorter histories get random-walk paths
_TOO_SHORT = (NotImplementedError, IndexError, ValueError, ZeroDivisionError, np.linalg.LinAlgError)


def _history(y: np.ndarray, season: int, horizon: int) -> np.ndarray:
    """The last values the model is fitted on: ten seasons or four horizons, 60 at least
    (speed: an hourly series of 1,000 values costs 4x as much and forecasts no better a day ahead)."""
    keep = max(10 * season, 4 * horizon, 60)
    return y[-keep:]


def _random_walk(y: np.ndarray, horizon: int, n_paths: int, seed: int) -> np.ndarray:
    d = np.diff(y)
    scale = float(np.mean(np.abs(y))) or 1.0
    sd = float(np.std(d)) if len(d) > 1 else 0.05 * scale
    steps = np.random.default_rng(seed).normal(0.0, max(sd, 1e-3 * scale), (n_paths, horizon))
    return float(y[-1]) + np.cumsum(steps, axis=1)


def forecast_paths(y, *, horizon: int, season: int = 1, n_paths: int = N_PATHS, seed: int = 0) -> np.ndarray:
    """Simulated future paths (``n_paths`` x ``horizon``) of the series after its last value."""
    y = np.asarray(y, dtype=float)
    y = y[np.isfinite(y)]
    horizon = max(int(horizon), 1)
    if len(y) == 0:
        return np.zeros((n_paths, horizon))
    if len(y) < MIN_ETS or np.ptp(y) == 0:
        return _random_walk(y, horizon, n_paths, seed)
    from statsforecast.models import AutoETS

    hist = _history(y, season, horizon)
    m = season if 1 < season <= 24 and len(hist) >= 2 * season + 2 else 1
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            paths = AutoETS(season_length=m).simulate(h=horizon, n_paths=n_paths, y=hist, seed=seed)
    except _TOO_SHORT:
        return _random_walk(y, horizon, n_paths, seed)
    paths = np.asarray(paths, dtype=float)
    return paths if np.isfinite(paths).all() else _random_walk(y, horizon, n_paths, seed)


def period_means(paths: np.ndarray, *, gap: int, period_len: int) -> np.ndarray:
    """Per path, the mean of the ``period_len`` values after ``gap`` steps."""
    window = paths[:, gap : gap + max(period_len, 1)]
    if window.shape[1] == 0:  # paths shorter than asked: the last step stands for the period
        window = paths[:, -1:]
    return window.mean(axis=1)
