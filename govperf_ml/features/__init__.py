"""Feature building shared by training and serving (pure functions of their inputs)."""

from govperf_ml.features.time import infer_freq, season_length, season_keys, future_dates

__all__ = ["infer_freq", "season_length", "season_keys", "future_dates"]
