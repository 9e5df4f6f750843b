"""Demand forecasters: long frames in (unique_id, ds, y), long frames out."""

from govperf_ml.forecasting.backtest import rolling_backtest
from govperf_ml.forecasting.ensemble import BacktestEnsemble
from govperf_ml.forecasting.intervals import ConformalIntervals
from govperf_ml.forecasting.lgbm import LGBMForecaster
from govperf_ml.forecasting.naive import SeasonalNaiveForecaster
from govperf_ml.forecasting.stats import StatsForecaster

__all__ = [
    "BacktestEnsemble",
    "ConformalIntervals",
    "LGBMForecaster",
    "SeasonalNaiveForecaster",
    "StatsForecaster",
    "rolling_backtest",
]
