"""Post-processing: small rules with ``fit`` that turn raw scores into decisions."""

from govperf_ml.postprocess.threshold import ThresholdRule

__all__ = ["ThresholdRule"]
