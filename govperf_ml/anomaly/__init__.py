"""Anomaly detectors: each returns raw scores only; decisions live in ``postprocess``.

:class:`AnomalyPipeline` runs the stages of :mod:`govperf_ml.anomaly.stages` (a detector
plus its post-processing rule each) and resolves their findings into alerts with
:func:`govperf_ml.alerts.resolve.resolve`.
"""

from govperf_ml.anomaly.robust_zscore import SeasonalRobustZScore
from govperf_ml.anomaly.quality import (
    EndOfPeriodJumpDetector,
    FlatLineDetector,
    PeerDetector,
    ScaleChangeDetector,
    SmoothnessDetector,
)
from govperf_ml.anomaly.stream import StreamingEnsemble
from govperf_ml.anomaly.stream_members import StreamMembers
from govperf_ml.anomaly.forecast_residual import ForecastResidualDetector
from govperf_ml.anomaly.pipeline import AnomalyPipeline

__all__ = [
    "SeasonalRobustZScore",
    "StreamingEnsemble",
    "StreamMembers",
    "ForecastResidualDetector",
    "FlatLineDetector",
    "ScaleChangeDetector",
    "EndOfPeriodJumpDetector",
    "SmoothnessDetector",
    "PeerDetector",
    "AnomalyPipeline",
]
