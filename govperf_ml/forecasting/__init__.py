"""Demand forecasters: long frames in (unique_id, ds, y), long frames out."""

from govperf_ml.forecasting.naive import SeasonalNaiveForecaster

__all__ = ["SeasonalNaiveForecaster"]
