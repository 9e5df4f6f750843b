"""Missed-target risk: from a series' history and a target, the risk of missing it."""

from govperf_ml.targets.episodes import aggregate_outcome, build_episodes
from govperf_ml.targets.pace import LinearPaceRule

__all__ = ["LinearPaceRule", "aggregate_outcome", "build_episodes"]
