"""A global gradient-boosting forecaster over all series (LightGBM by default).

Direct multi-horizon: one regressor learns ``y[T+k]`` for every step ``k = 1..h`` from the
window of history that ends at the forecast origin ``T``, with ``k`` as a feature, so no
forecast is fed back as an input and errors do not compound along the horizon.

Every window is scaled by its own level, the mean absolute value of the last season
before the origin: inputs and target are divided by it and the prediction is multiplied
back. That makes one model fit series of very different sizes, and follows level shifts.

Features of a row ``(T, k)`` (built in :mod:`govperf_ml.forecasting.lgbm_features`):

* recent lags ``y[T], y[T-1], ...`` (``lags``);
* seasonal lags aligned with the target: for each period ``p`` the values at the same
  phase as ``T+k`` in the last ``r`` seasons (``y[T+k-p]``, ``y[T+k-2p]``... as far as
  they are observed at ``T``), e.g. the same hour on each of the last 7 days and the same
  hour of the week for hourly data;
* rolling mean, std, min and max over the last season and the longest window, the log of
  the scale, and the step ``k``;
* calendar features of the target timestamp when ``calendar`` is on: hour, weekday,
  month, Chinese public holidays and adjusted working days from
  :func:`govperf_ml.calendar.calendar_features`;
* exogenous columns named in ``exog`` (a campaign flag, a planned service closure, a
  weather forecast...): each column's value at the target timestamp ``T+k`` and at the
  origin ``T``. They come as extra columns of the training frame (statsforecast's
  convention) and, for the future, as ``X_df`` (``unique_id, ds`` and those columns, one
  row per series and future period) in :meth:`LGBMForecaster.forecast`.

Intervals are conformal (:mod:`govperf_ml.forecasting.intervals`): a second model is fit on
the history before ``n_windows`` held-out horizons at the end of each series (the windows of
:mod:`govperf_ml.forecasting.backtest`); its errors on those horizons (rolling origins,
training data only) set per-step quantiles.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.utils.validation import check_is_fitted

from govperf_ml.contracts import DS, ID, Y, DataContractError, short, validate_series
from govperf_ml.features.time import canonical_freq, future_dates, infer_freq, season_length
from govperf_ml.forecasting.backtest import backtest_rows, window_cutoffs
from govperf_ml.forecasting.exog import exog_names, future_exog
from govperf_ml.forecasting.intervals import ConformalIntervals, noise_scale
from govperf_ml.forecasting.lgbm_features import FeatureSpec, Panel, calendar_matrix, design_matrix
from govperf_ml.forecasting.naive import check_forecast_args, check_horizon, check_level

__all__ = ["LGBMForecaster", "default_horizon"]

_HORIZON = {"H": 48, "D": 28, "W": 13, "M": 18, "Q": 8, "Y": 6}
_SEASONAL_LAGS = {
    "H": ((24, 7), (168, 2)),
    "D": ((7, 4),),
    "W": ((52, 1),),
    "M": ((12, 3),),
    "Q": ((4, 3),),
    "Y": (),
}


def default_horizon(freq: str) -> int:
    return _HORIZON[canonical_freq(freq)]


def _default_regressor(random_state, **overrides):
    from lightgbm import LGBMRegressor

    params = dict(
        objective="l1",
        n_estimators=600,
        learning_rate=0.05,
        num_leaves=63,
        min_child_samples=50,
        subsample=0.8,
        subsample_freq=1,
        colsample_bytree=0.8,
        # one thread: on shared, oversubscribed cores OpenMP's spinning barriers made a
        # 2-thread fit dozens of times slower (a 30 s fit ran for over 20 minutes)
        n_jobs=1,
        random_state=random_state,
        verbose=-1,
    )
    params.update(overrides)
    return LGBMRegressor(**params)


class LGBMForecaster(BaseEstimator):
    """Global direct multi-horizon forecaster; any scikit-learn regressor plugs in.

    Parameters
    ----------
    h : int or None
        Longest step the model is trained for (M4's horizon of the frequency when None).
        Longer forecasts repeat the model from its own last ``h`` forecasts.
    season_length : int or None
        Season of the scaling window and of the rolling statistics (from the frequency).
    lags : sequence of int or None
        Recent lags (``1`` = the last value); ``1..season_length`` (at most 52) when None.
    seasonal_lags : sequence of (period, count) or None
        Target-aligned seasonal lags; ``((24, 7), (168, 2))`` hourly, ``((52, 1),)`` weekly...
    calendar : bool
        Calendar features of the target timestamp (set False when ``ds`` are not real dates).
    exog : sequence of str or None
        Numeric columns of the training frame used as exogenous regressors (values known
        in advance: their future values must be passed to :meth:`forecast` as ``X_df``).
        NaN is allowed in the history (a missing reading), not in ``X_df``.
    regressor : scikit-learn regressor or None
        Cloned for every fit; a LightGBM regressor with an L1 objective when None. Lags
        before the start of a series are NaN: a regressor without native NaN support goes
        in a pipeline with an imputer (scaled values sit around 1).
    max_rows : int
        Training rows kept (a seeded sample of forecast origins; the latest are always kept).
    n_windows : int
        Held-out horizons per series for the conformal intervals (0: no intervals).
    level : tuple of int
        Default interval levels in percent.
    alias : str
        Name of the forecast column.
    seasonal_stats : bool
        Also the mean (and, from three lags on, the median) of each period's target-aligned
        seasonal lags, e.g. the mean of the same hour over the last 7 days.
    regressor_params : dict or None
        Overrides of the default LightGBM settings (ignored when ``regressor`` is given).
    """

    def __init__(
        self,
        *,
        h=None,
        season_length=None,
        lags=None,
        seasonal_lags=None,
        calendar=True,
        exog=None,
        regressor=None,
        max_rows=1_000_000,
        n_windows=2,
        level=(80, 95),
        random_state=0,
        alias="LGBM",
        seasonal_stats=False,
        regressor_params=None,
    ):
        self.h = h
        self.season_length = season_length
        self.lags = lags
        self.seasonal_lags = seasonal_lags
        self.calendar = calendar
        self.exog = exog
        self.regressor = regressor
        self.max_rows = max_rows
        self.n_windows = n_windows
        self.level = level
        self.random_state = random_state
        self.alias = alias
        self.seasonal_stats = seasonal_stats
        self.regressor_params = regressor_params

    # ------------------------------------------------------------------ public API
    def fit(self, df: pd.DataFrame, y=None, *, freq: str | None = None):
        """Learn one model over all series of ``df`` (and the conformal quantiles)."""
        self.exog_ = exog_names(self.exog)
        data = validate_series(df, allow_missing_y=True, exog=self.exog_)
        if data.empty:
            raise DataContractError("series: no rows to fit on", field=Y)
        self.freq_ = canonical_freq(freq) if freq else infer_freq(data[DS])
        self._setup()
        check_level(self.level)
        panel = Panel.from_frame(data, self.exog_)
        self.regressor_ = self._train(panel, ends=panel.lengths - 1)
        self.backtest_ = None
        self.conformal_ = None
        if self.n_windows and self.n_windows > 0:
            self.backtest_ = self._backtest(panel, self.h_, int(self.n_windows))
            if self.backtest_ is not None and len(self.backtest_):
                self.conformal_ = ConformalIntervals(level=tuple(self.level)).fit(self.backtest_)
        self.n_series_ = len(panel.ids)
        return self

    def forecast(self, df: pd.DataFrame, *, h: int, level=None, freq: str | None = None,
                 X_df: pd.DataFrame | None = None) -> pd.DataFrame:
        """Forecast ``h`` steps past the end of every series of ``df``.

        ``X_df`` holds the future values of the ``exog`` columns: ``unique_id, ds`` and
        each column, one row for every series and each of its ``h`` future periods.
        """
        h, level = check_forecast_args(self, h, level)
        data = validate_series(df, allow_missing_y=True, exog=self.exog_)
        panel = Panel.from_frame(data, self.exog_)
        f = canonical_freq(freq) if freq else self.freq_
        if self.exog_:
            panel.extend_x(future_exog(X_df, self.exog_, panel.ids, panel.last_ds, h, f))
        points = self._predict_paths(panel, h, f)
        rows = []
        for i, uid in enumerate(panel.ids):
            rows.append(pd.DataFrame({ID: uid, DS: future_dates(panel.last_ds[i], h, f), self.alias: points[i]}))
        out = pd.concat(rows, ignore_index=True)
        if self.conformal_ is not None and level:
            scale = pd.Series({uid: noise_scale(panel.y[i], self.m_) for i, uid in enumerate(panel.ids)})
            out = self.conformal_.apply(out, self.alias, scale, level)
            if panel.nonneg():
                _clip(out, self.alias, level)
        return out

    def backtest(self, df: pd.DataFrame, *, h: int, n_windows: int, freq: str | None = None) -> pd.DataFrame:
        """Rolling-origin forecasts of the last ``n_windows`` horizons (training data only).

        One model is fit on each series' history before its first cutoff and forecasts from
        every cutoff; returns ``unique_id, ds, cutoff, step, y, <alias>, error`` (the error
        scaled by the series' noise scale at the cutoff).
        """
        check_is_fitted(self)
        panel = Panel.from_frame(validate_series(df, allow_missing_y=True, exog=self.exog_), self.exog_)
        return self._backtest(panel, check_horizon(h), int(n_windows))

    # ------------------------------------------------------------------ internals
    def _setup(self):
        f = self.freq_
        self.m_ = int(self.season_length or season_length(f))
        self.h_ = int(self.h or default_horizon(f))
        self.lags_ = tuple(int(x) for x in (self.lags or range(1, min(max(self.m_, 2), 52) + 1)))
        sl = _SEASONAL_LAGS[f] if self.seasonal_lags is None else self.seasonal_lags
        self.seasonal_lags_ = tuple((int(p), int(r)) for p, r in sl)
        need = [max(self.lags_), self.m_]
        for p, r in self.seasonal_lags_:
            need.append(p * (int(np.ceil(self.h_ / p)) + r - 1))
            need.append(p)
        self.window_ = int(max(need))

    def _spec(self) -> FeatureSpec:
        return FeatureSpec(window=self.window_, season=self.m_, lags=self.lags_, seasonal_lags=self.seasonal_lags_,
                           seasonal_stats=bool(self.seasonal_stats), calendar=bool(self.calendar))

    def _calendar(self, ds) -> np.ndarray:
        return calendar_matrix(ds, self.freq_)

    def _train(self, panel, ends):
        rng = np.random.default_rng(self.random_state)
        H = self.h_
        ks = np.arange(1, H + 1)
        per = []
        total = 0
        for i, y in enumerate(panel.y):
            end = int(ends[i])
            lo = min(self.m_ - 1, max(end - 1, 0))
            origins = np.arange(lo, end)  # T + 1 <= end
            per.append(origins)
            total += len(origins) * H
        if total == 0:
            raise DataContractError(
                f"series: too short to train on (need more than {self.m_} observations); ids {short(panel.ids)}",
                field=Y,
                ids=list(panel.ids),
            )
        frac = min(1.0, self.max_rows / total)
        Xs, ts = [], []
        for i, y in enumerate(panel.y):
            origins = per[i]
            if not len(origins):
                continue
            end = int(ends[i])
            if frac < 1.0:
                recent = origins >= end - H
                keep = recent | (rng.random(len(origins)) < frac)
                origins = origins[keep]
            dates = self._calendar(panel.dates[i]) if self.calendar else None
            X, s, k = design_matrix(self._spec(), y, dates, origins, ks, x=panel.x[i])
            T = np.tile(origins, len(ks))
            t_idx = T + k
            ok = t_idx <= end
            target = np.full(len(T), np.nan)
            target[ok] = y[t_idx[ok]] / s[ok]
            ok &= np.isfinite(target)
            Xs.append(X[ok])
            ts.append(target[ok])
        X = np.vstack(Xs)
        t = np.concatenate(ts)
        if self.regressor is not None:
            reg = clone(self.regressor)
        else:
            reg = _default_regressor(self.random_state, **dict(self.regressor_params or {}))
        reg.fit(X, t)
        return reg

    def _predict_from(self, reg, panel, origins_per_series, H):
        """Point forecasts of steps 1..H from one origin per series (index into each y)."""
        ks = np.arange(1, H + 1)
        out = []
        for i, y in enumerate(panel.y):
            T = int(origins_per_series[i])
            fut = None
            if self.calendar:
                hist = panel.dates[i]
                step = _step(hist)
                if T + H < len(hist):
                    fut = self._calendar(hist[T + 1 : T + H + 1])
                else:
                    fut = self._calendar(pd.DatetimeIndex([hist[T] + step * j for j in ks]))
            X, s, _ = design_matrix(self._spec(), y[: T + 1], None, np.array([T]), ks, future_dates_=fut, x=panel.x[i])
            out.append(reg.predict(X) * s)
        return out

    def _predict_paths(self, panel, h, freq):
        H = self.h_
        nonneg = panel.nonneg()
        paths = []
        ys = [y.copy() for y in panel.y]
        dates = list(panel.dates)
        done = 0
        chunks = [[] for _ in ys]
        while done < h:
            sub = Panel(panel.ids, ys, dates, panel.last_ds, panel.x)
            pred = self._predict_from(self.regressor_, sub, [len(y) - 1 for y in ys], H)
            for i, p in enumerate(pred):
                if nonneg:
                    p = np.maximum(p, 0.0)
                chunks[i].append(p)
                ys[i] = np.concatenate([ys[i], p])
                dates[i] = dates[i].append(future_dates(dates[i][-1], H, freq))
            done += H
        for c in chunks:
            paths.append(np.concatenate(c)[:h])
        return paths

    def _backtest(self, panel, h, n_windows):
        """One model fit before each series' first window forecasts every window."""
        H = self.h_
        if h > H:
            raise DataContractError(f"h: backtests reach at most the trained horizon {H}; got {h}", field="h")
        cutoffs = window_cutoffs(panel.lengths, h, n_windows)
        usable = cutoffs[:, 0] >= self.m_ + 1
        if not usable.any():
            return None
        sub, cutoffs = panel.subset(usable), cutoffs[usable]
        reg = self._train(sub, ends=cutoffs[:, 0])
        nonneg = panel.nonneg()
        rows = []
        for w in range(n_windows):
            pred = self._predict_from(reg, sub, cutoffs[:, w], H)
            for i, uid in enumerate(sub.ids):
                p = np.maximum(pred[i][:h], 0.0) if nonneg else pred[i][:h]
                rows.append(backtest_rows(uid, sub.dates[i], sub.y[i], cutoffs[i, w], p, alias=self.alias, m=self.m_))
        return pd.concat(rows, ignore_index=True)


# ---------------------------------------------------------------------- helpers
def _step(dates: pd.DatetimeIndex) -> pd.Timedelta:
    if len(dates) < 2:
        return pd.Timedelta(days=1)
    return pd.Timedelta(np.median(np.diff(dates.asi8)), unit="ns")


def _clip(out: pd.DataFrame, alias: str, level) -> None:
    for c in [alias, *[f"{alias}-{side}-{lv}" for lv in level for side in ("lo", "hi")]]:
        out[c] = out[c].clip(lower=0.0)
