"""Anomaly detectors: each returns raw scores only; decisions live in ``postprocess``."""

from govperf_ml.anomaly.robust_zscore import SeasonalRobustZScore
from govperf_ml.anomaly.quality import (
    EndOfPeriodJumpDetector,
    FlatLineDetector,
    PeerDetector,
    ScaleChangeDetector,
    SmoothnessDetector,
)
from govperf_ml.anomaly.stream import StreamingEnsemble
from govperf_ml.anomaly.forecast_residual import ForecastResidualDetector
from govperf_ml.anomaly.pipeline import AnomalyPipeline

__all__ = [
    "SeasonalRobustZScore",
    "StreamingEnsemble",
    "ForecastResidualDetector",
    "FlatLineDetector",
    "ScaleChangeDetector",
    "EndOfPeriodJumpDetector",
    "SmoothnessDetector",
    "PeerDetector",
    "AnomalyPipeline",
]
