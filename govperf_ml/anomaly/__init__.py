"""Anomaly detectors: each returns raw scores only; decisions live in ``postprocess``."""

from govperf_ml.anomaly.robust_zscore import SeasonalRobustZScore
from govperf_ml.anomaly.pipeline import AnomalyPipeline

__all__ = ["SeasonalRobustZScore", "AnomalyPipeline"]
