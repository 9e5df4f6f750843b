"""Statistical forecasters (ETS, Theta, MSTL, ARIMA) from statsforecast, in our contract.

These are local models: each series is fit on the history handed to ``forecast``, so
``fit`` only checks the inputs and remembers the frequency. Intervals are the models' own
(``intervals="native"``) or conformal from a rolling-origin backtest of the training data
(``intervals="conformal"``, see :mod:`govperf_ml.forecasting.intervals`).

statsforecast runs on an integer step index here (``freq=1``), so any calendar works; the
output dates are put back with :func:`govperf_ml.features.time.future_dates`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from govperf_ml.contracts import DS, ID, Y, DataContractError, short, validate_series
from govperf_ml.features.time import canonical_freq, future_dates, infer_freq, season_length
from govperf_ml.forecasting.backtest import backtest_rows
from govperf_ml.forecasting.intervals import ConformalIntervals, noise_scale
from govperf_ml.forecasting.naive import check_forecast_args, check_horizon, check_level
from govperf_ml.parallel import map_series, using

__all__ = ["StatsForecaster", "MODELS"]

MODELS = ("AutoETS", "AutoTheta", "AutoARIMA", "MSTL", "SeasonalNaive", "Naive")

#: what statsforecast raises for a history too short for the model: "tiny datasets"
#: (NotImplementedError) or, for a single point, an IndexError
_TOO_SHORT = (NotImplementedError, IndexError)


def _make_model(name: str, m: int, freq: str):
    from statsforecast import models as sfm

    if name == "AutoETS":
        return sfm.AutoETS(season_length=m if m <= 24 else 1)
    if name == "AutoTheta":
        return sfm.AutoTheta(season_length=m)
    if name == "AutoARIMA":
        return sfm.AutoARIMA(season_length=m if m <= 24 else 1)
    if name == "MSTL":
        periods = [24, 168] if freq == "H" else ([7, 365] if freq == "D" else [m])
        return sfm.MSTL(season_length=periods, trend_forecaster=sfm.AutoETS(model="ZZN"))
    if name == "SeasonalNaive":
        return sfm.SeasonalNaive(season_length=m)
    if name == "Naive":
        return sfm.Naive()
    raise DataContractError(f"model: unknown statistical model {name!r}; known {list(MODELS)}", field="model")


class StatsForecaster(BaseEstimator):
    """One statsforecast model behind the ``fit`` / ``forecast`` contract.

    Parameters
    ----------
    model : str
        One of :data:`MODELS`.
    season_length : int or None
        Season length (from the frequency when None; ETS and ARIMA drop seasons over 24).
    max_length : int or None
        Fit on at most the last ``max_length`` observations of each series (speed).
    intervals : {"native", "conformal"}
        The model's own intervals or conformal ones from ``n_windows`` backtest horizons.
    h : int or None
        Horizon of the conformal backtest (the forecast horizon you will ask for).
    n_windows : int
        Backtest horizons for conformal intervals.
    n_jobs : int
        Processes statsforecast may use.
    level : tuple of int
        Default interval levels in percent.
    alias : str or None
        Forecast column name (the model name when None).
    """

    def __init__(
        self,
        *,
        model="AutoETS",
        season_length=None,
        max_length=None,
        intervals="native",
        h=None,
        n_windows=2,
        n_jobs=1,
        level=(80, 95),
        alias=None,
    ):
        self.model = model
        self.season_length = season_length
        self.max_length = max_length
        self.intervals = intervals
        self.h = h
        self.n_windows = n_windows
        self.n_jobs = n_jobs
        self.level = level
        self.alias = alias

    @property
    def alias_(self) -> str:
        return self.alias or str(self.model)

    def fit(self, df: pd.DataFrame, y=None, *, freq: str | None = None):
        """Check the inputs and remember the frequency; conformal mode runs the backtest."""
        data = validate_series(df, allow_missing_y=False)
        self.freq_ = canonical_freq(freq) if freq else infer_freq(data[DS])
        self.m_ = int(self.season_length or season_length(self.freq_))
        _make_model(str(self.model), self.m_, self.freq_)
        check_level(self.level)
        if self.intervals not in ("native", "conformal"):
            raise DataContractError(f"intervals: 'native' or 'conformal'; got {self.intervals!r}", field="intervals")
        self.backtest_ = None
        self.conformal_ = None
        if self.intervals == "conformal":
            if not self.h:
                raise DataContractError("h: conformal intervals need the horizon h", field="h")
            self.backtest_ = self._backtest(data, int(self.h), int(self.n_windows))
            self.conformal_ = ConformalIntervals(level=tuple(self.level)).fit(self.backtest_)
        return self

    def forecast(self, df: pd.DataFrame, *, h: int, level=None, freq: str | None = None) -> pd.DataFrame:
        """Fit the model to each series of ``df`` and forecast ``h`` steps past its end."""
        h, level = check_forecast_args(self, h, level)
        data = validate_series(df, allow_missing_y=False)
        parts = map_series(_forecast_part, data, est=self, h=h, level=level, freq=freq)  # on Dask, if active
        if parts is not None:
            return pd.concat(parts, ignore_index=True)
        f = canonical_freq(freq) if freq else self.freq_
        idx, last = self._to_index(data)
        native = list(level) if self.intervals == "native" and level else None
        try:
            raw = self._sf().forecast(df=idx, h=h, level=native)
        except _TOO_SHORT as err:  # statsforecast on a history too short for the model
            short_ids = self._too_short(idx)
            if not short_ids:
                raise
            raise DataContractError(
                f"{self.alias_} cannot be fitted to {len(short_ids)} series with too short a history "
                f"({short(short_ids)}): send more points of each",
                field="series",
                ids=short_ids,
            ) from err
        name = self._model_col(raw)
        raw = raw.sort_values([ID, DS], kind="stable")
        out = pd.DataFrame({ID: raw[ID].to_numpy()})
        out[DS] = np.concatenate([future_dates(last[uid], h, f) for uid in pd.unique(out[ID])])
        out[self.alias_] = raw[name].to_numpy(dtype=float)
        if native:
            for lv in level:
                for side in ("lo", "hi"):
                    out[f"{self.alias_}-{side}-{lv}"] = raw[f"{name}-{side}-{lv}"].to_numpy(dtype=float)
        elif self.conformal_ is not None and level:
            scale = data.groupby(ID, sort=False)[Y].apply(lambda s: noise_scale(s.to_numpy(), self.m_))
            out = self.conformal_.apply(out, self.alias_, scale, level)
        return out

    def backtest(self, df: pd.DataFrame, *, h: int, n_windows: int, freq: str | None = None) -> pd.DataFrame:
        """Rolling-origin forecasts of the last ``n_windows`` horizons of each series.

        The windows are those of :mod:`govperf_ml.forecasting.backtest`; the model is fit once
        at the first cutoff and carried forward over the later windows without refitting
        (statsforecast's ``refit=False``). Returns ``unique_id,
        ds, cutoff, step, y, <alias>, error`` (error scaled by the series' noise scale).
        """
        check_is_fitted(self)
        data = validate_series(df, allow_missing_y=False)
        return self._backtest(data, check_horizon(h), int(n_windows))

    # ------------------------------------------------------------------ internals
    def _sf(self):
        from statsforecast import StatsForecast

        return StatsForecast(models=[_make_model(str(self.model), self.m_, self.freq_)], freq=1, n_jobs=self.n_jobs)

    def _too_short(self, idx: pd.DataFrame) -> list:
        """The series the model cannot be fitted to, found shortest first: a longer history
        never fails where a shorter one fits, so the search stops at the first that fits."""
        failing = []
        for uid, _n in idx.groupby(ID, sort=False).size().sort_values(kind="stable").items():
            try:
                self._sf().forecast(df=idx[idx[ID] == uid], h=1)
            except _TOO_SHORT:
                failing.append(uid)
                continue
            break
        return failing

    def _model_col(self, raw: pd.DataFrame) -> str:
        cols = [c for c in raw.columns if c not in (ID, DS, "cutoff", Y) and "-lo-" not in c and "-hi-" not in c]
        return cols[0]

    def _to_index(self, data: pd.DataFrame):
        """Integer step index per series (statsforecast's ``freq=1``), cut to ``max_length``."""
        last = data.groupby(ID, sort=False)[DS].last()
        pos = data.groupby(ID, sort=False).cumcount()
        idx = pd.DataFrame({ID: data[ID].to_numpy(), DS: pos.to_numpy(dtype=np.int64), Y: data[Y].to_numpy(float)})
        if self.max_length:
            n = idx.groupby(ID, sort=False)[DS].transform("max") + 1
            idx = idx[idx[DS] >= n - int(self.max_length)]
        return idx, last

    def _backtest(self, data: pd.DataFrame, h: int, n_windows: int) -> pd.DataFrame:
        sizes = data.groupby(ID, sort=False).size()
        need = h * n_windows + max(2 * self.m_, 8)
        ok = sizes.index[sizes >= need]
        if len(ok) == 0:
            raise DataContractError(
                f"series: all too short for a {n_windows} x {h} backtest; ids {short(sizes.index)}", field=Y
            )
        data = data[data[ID].isin(ok)]
        parts = map_series(_backtest_part, data, est=self, h=h, n_windows=n_windows)  # on Dask, if active
        if parts is not None:
            return pd.concat(parts, ignore_index=True)
        return self._cv_rows(data, h, n_windows)

    def _cv_rows(self, data: pd.DataFrame, h: int, n_windows: int) -> pd.DataFrame:
        idx, _ = self._to_index(data)
        cv = self._sf().cross_validation(df=idx, h=h, n_windows=n_windows, step_size=h, refit=False)
        name = self._model_col(cv)
        groups = {uid: g for uid, g in data.groupby(ID, sort=False)}
        rows = []
        for (uid, cut), g in cv.groupby([ID, "cutoff"], sort=False):
            series = groups[uid]
            rows.append(backtest_rows(uid, pd.DatetimeIndex(series[DS]), series[Y].to_numpy(float), int(cut),
                                      g[name].to_numpy(dtype=float), alias=self.alias_, m=self.m_))
        return pd.concat(rows, ignore_index=True)


# A local model: each series is fitted alone, so chunks of whole series can run on Dask
# workers (govperf_ml.parallel.map_series, inside `parallel.using(client)`) with the
# same result as the whole frame.
def _forecast_part(chunk: pd.DataFrame, *, est: StatsForecaster, h: int, level, freq) -> pd.DataFrame:
    with using(None):  # a worker in this process (threads) must not send the chunk on again
        return est.forecast(chunk, h=h, level=level, freq=freq)


def _backtest_part(chunk: pd.DataFrame, *, est: StatsForecaster, h: int, n_windows: int) -> pd.DataFrame:
    return est._cv_rows(chunk, h, n_windows)
