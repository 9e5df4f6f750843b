"""Post-processing: small rules with ``fit`` that turn raw scores into decisions."""

from govperf_ml.postprocess.likelihood import AnomalyLikelihood, SuppressRepeats, log_tail, suppress_repeats
from govperf_ml.postprocess.threshold import ThresholdRule

__all__ = ["AnomalyLikelihood", "SuppressRepeats", "ThresholdRule", "log_tail", "suppress_repeats"]
