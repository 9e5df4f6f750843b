"""Post-processing: small rules with ``fit`` that turn raw scores into decisions."""

from govperf_ml.postprocess.likelihood import (AnomalyLikelihood, MemberLikelihood, SuppressRepeats, log_tail,
                                              suppress_repeats)
from govperf_ml.postprocess.rules import AlertBudget, DismissalTuner, MinDuration, NewNormal, ZCalibrator
from govperf_ml.postprocess.threshold import ScoreThreshold, ThresholdRule, improvements_only

__all__ = ["AlertBudget", "AnomalyLikelihood", "DismissalTuner", "MemberLikelihood", "MinDuration", "NewNormal",
           "ScoreThreshold", "SuppressRepeats", "ThresholdRule", "ZCalibrator", "improvements_only", "log_tail",
           "suppress_repeats"]
