"""Ensembles chosen by rolling-origin backtests of the training data.

Each member is fit on the training frame and backtested on the last ``n_windows``
horizons of every series (the member's own ``backtest`` when it has one, otherwise a
refit per window). From those backtest forecasts, never from the period being forecast,
the ensemble picks

* ``method="combo"``: the best of every member alone and the equal-weight mean of every
  subset of two or more members (scored like M4's OWA: sMAPE and MASE relative to the
  members' average);
* ``method="per_series"``: for each series the candidate with the lowest backtest error;
* ``method="mean"`` / ``"median"``: all members, equal weights.

Intervals are conformal on the chosen combination's backtest errors.
"""

from __future__ import annotations

import itertools
import time

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone

from govperf_ml.contracts import DS, ID, Y, DataContractError, validate_series
from govperf_ml.evaluation.metrics import series_mae, series_smape
from govperf_ml.features.time import canonical_freq, infer_freq, season_length
from govperf_ml.forecasting.backtest import rolling_backtest
from govperf_ml.forecasting.exog import exog_columns, exog_kwargs, uses_exog
from govperf_ml.forecasting.intervals import STEP, ConformalIntervals, noise_scale
from govperf_ml.forecasting.naive import check_forecast_args, check_horizon, check_level

__all__ = ["BacktestEnsemble", "exog_columns", "exog_kwargs", "rolling_backtest", "uses_exog"]

METHODS = ("combo", "per_series", "mean", "median")


def _alias(est) -> str:
    return getattr(est, "alias_", None) or est.alias


class BacktestEnsemble(BaseEstimator):
    """Combine forecasters by their rolling-origin backtest accuracy.

    Parameters
    ----------
    members : list of estimators
        Forecasters with ``fit(df)``, ``forecast(df, *, h, level)`` and an ``alias``.
    h : int
        Backtest horizon (the horizon the ensemble will be asked for).
    n_windows : int
        Backtest horizons per series.
    method : {"combo", "per_series", "mean", "median"}
        How members are combined (see the module docstring).
    keep_members : bool
        Keep each member's columns (and intervals) in the forecast output.
    level : tuple of int
        Default interval levels in percent.
    alias : str
        Forecast column name.
    """

    def __init__(self, *, members, h, n_windows=2, method="combo", keep_members=False, level=(80, 95),
                 alias="Ensemble"):
        self.members = members
        self.h = h
        self.n_windows = n_windows
        self.method = method
        self.keep_members = keep_members
        self.level = level
        self.alias = alias

    def fit(self, df: pd.DataFrame, y=None, *, freq: str | None = None):
        data = validate_series(df, allow_missing_y=True)
        if self.method not in METHODS:
            raise DataContractError(f"method: one of {list(METHODS)}; got {self.method!r}", field="method")
        if not self.members:
            raise DataContractError("members: the ensemble needs at least one member", field="members")
        h = check_horizon(self.h)
        check_level(self.level)
        self.freq_ = canonical_freq(freq) if freq else infer_freq(data[DS])
        self.m_ = season_length(self.freq_)
        aliases = [_alias(m) for m in self.members]
        if len(set(aliases)) != len(aliases):
            raise DataContractError(f"members: aliases must be distinct; got {aliases}", field="members")
        self.members_, self.timings_ = [], {}
        bt = None
        for est in self.members:
            t0 = time.perf_counter()
            model = clone(est).fit(data, freq=freq)
            a = _alias(model)
            b = getattr(model, "backtest_", None)
            if b is None or int(b[STEP].max()) != h or b["cutoff"].nunique() < 1:
                if hasattr(model, "backtest"):
                    b = model.backtest(data, h=h, n_windows=self.n_windows, freq=freq)
                else:
                    b = rolling_backtest(model, data, h=h, n_windows=self.n_windows, freq=freq)
            b = b[[ID, DS, "cutoff", STEP, Y, a]]
            bt = b if bt is None else bt.merge(b, on=[ID, DS, "cutoff", STEP, Y], how="inner")
            self.members_.append(model)
            self.timings_[a] = time.perf_counter() - t0
        scale = data.groupby(ID, sort=False)[Y].apply(lambda s: noise_scale(s.to_numpy(), self.m_))
        self.scale_ = scale
        bt = bt.assign(_scale=bt[ID].map(scale))
        self.candidates_ = self._candidates(aliases)
        preds = {name: self._combine(bt, name, cols) for name, cols in self.candidates_.items()}
        scores = self._scores(bt, preds)
        self.scores_ = scores
        if self.method == "combo":
            self.choice_ = scores.index[0]
            self.per_series_ = None
        elif self.method == "per_series":
            err = pd.DataFrame({n: (bt[Y] - p).abs() / bt["_scale"] for n, p in preds.items()})
            err[ID] = bt[ID].to_numpy()
            per = err.groupby(ID).mean()
            self.per_series_ = per.idxmin(axis=1)
            self.choice_ = "per_series"
        else:
            self.choice_ = self.method
            self.per_series_ = None
        final = self._pick(bt, preds)
        errors = pd.DataFrame({STEP: bt[STEP].to_numpy(), "error": ((bt[Y] - final) / bt["_scale"]).to_numpy()})
        self.backtest_ = bt.assign(**{self.alias: final})
        self.conformal_ = ConformalIntervals(level=tuple(self.level)).fit(errors)
        return self

    def forecast(self, df: pd.DataFrame, *, h: int, level=None, freq: str | None = None,
                 X_df: pd.DataFrame | None = None) -> pd.DataFrame:
        """Forecast with every member and combine them as chosen in :meth:`fit`.

        ``X_df`` (future exogenous values) goes to the members that use exogenous columns.
        """
        h, level = check_forecast_args(self, h, level)
        data = validate_series(df, allow_missing_y=True)
        out = None
        self.forecast_timings_ = {}
        used = self._used_members()
        for model in self.members_:
            if _alias(model) not in used:
                continue
            t0 = time.perf_counter()
            fc = model.forecast(data, h=h, level=level if self.keep_members else (), freq=freq,
                                **exog_kwargs(model, X_df))
            self.forecast_timings_[_alias(model)] = time.perf_counter() - t0
            out = fc if out is None else out.merge(fc, on=[ID, DS], how="inner")
        preds = {name: self._combine(out, name, cols) for name, cols in self.candidates_.items()
                 if set(cols) <= used}
        out[self.alias] = self._pick(out, preds)
        scale = data.groupby(ID, sort=False)[Y].apply(lambda s: noise_scale(s.to_numpy(), self.m_))
        out = self.conformal_.apply(out, self.alias, scale, level)
        if all(np.nanmin(g) >= 0 for _, g in data.groupby(ID)[Y]):
            for lv in level:
                out[f"{self.alias}-lo-{lv}"] = out[f"{self.alias}-lo-{lv}"].clip(lower=0)
        own = [self.alias, *[f"{self.alias}-{s}-{lv}" for lv in level for s in ("lo", "hi")]]
        if not self.keep_members:
            return out[[ID, DS, *own]]
        return out[[ID, DS, *own, *[c for c in out.columns if c not in (ID, DS, *own)]]]

    # ------------------------------------------------------------------ internals
    def _used_members(self) -> set[str]:
        """Aliases of the members the forecast needs: those of the chosen combination (a
        member it leaves out is not run: AutoETS costs ~0.5 s a daily series), or all of
        them when members are kept or chosen per series."""
        if self.keep_members or self.per_series_ is not None:
            return {_alias(m) for m in self.members_}
        return set(self.candidates_[self.choice_])

    def _candidates(self, aliases) -> dict[str, list[str]]:
        cands = {a: [a] for a in aliases}
        if self.method in ("mean", "median"):
            return {self.method: aliases}
        for r in range(2, len(aliases) + 1):
            for sub in itertools.combinations(aliases, r):
                cands["mean(" + "+".join(sub) + ")"] = list(sub)
        if len(aliases) >= 3:
            cands["median"] = aliases
        return cands

    def _combine(self, frame: pd.DataFrame, name: str, cols) -> np.ndarray:
        vals = frame[cols].to_numpy(dtype=float)
        if name == "median":
            return np.median(vals, axis=1)
        return vals.mean(axis=1)

    def _scores(self, bt: pd.DataFrame, preds) -> pd.DataFrame:
        """M4-like scores of each candidate: mean over series of sMAPE and of MAE / scale."""
        names = list(preds)
        frame = pd.DataFrame({ID: bt[ID].to_numpy(), Y: bt[Y].to_numpy(dtype=float),
                              **{n: np.asarray(p, dtype=float) for n, p in preds.items()}})
        scale = bt.groupby(ID, sort=False)["_scale"].first()
        smape = series_smape(frame, names)
        mase = series_mae(frame, names).div(scale, axis=0)
        tab = pd.DataFrame({"sMAPE": smape.mean(), "MASE": mase.mean()})
        tab["score"] = 0.5 * (tab["sMAPE"] / tab["sMAPE"].mean() + tab["MASE"] / tab["MASE"].mean())
        return tab.sort_values("score")

    def _pick(self, frame: pd.DataFrame, preds) -> np.ndarray:
        if self.per_series_ is None:
            return np.asarray(preds[self.choice_], dtype=float)
        best = frame[ID].map(self.per_series_).fillna(self.scores_.index[0]).to_numpy()
        out = np.full(len(frame), np.nan)
        for name, p in preds.items():
            hit = best == name
            out[hit] = np.asarray(p)[hit]
        return out
