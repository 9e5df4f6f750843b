"""VUS-PR: the threshold-free volume under the range-based precision-recall surface.

A thin wrapper over :class:`dtaianomaly.evaluation.VolumeUnderPR` (Paparrizos et al.,
2022, in TimeEval's corrected form): for every buffer size ``0..max_buffer_size`` the
labelled ranges get soft edges of that width, precision and recall are computed at
``max_samples`` thresholds sampled from the scores, and the areas under the PR curves are
averaged. dtaianomaly is in the ``bench`` extra (``pip install govperf-ml[bench]``); the
service itself does not need it.

A corpus' figure is the mean over its series that have both labelled and normal points
(a series without anomalies has no PR curve).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

__all__ = ["corpus_vus_pr", "vus_pr"]


def _metric(max_buffer_size: int, max_samples: int):
    try:
        from dtaianomaly.evaluation import VolumeUnderPR
    except ImportError as err:  # pragma: no cover - the bench extra is missing
        raise ImportError("VUS-PR needs dtaianomaly: pip install 'govperf-ml[bench]'") from err
    return VolumeUnderPR(max_buffer_size=max_buffer_size, max_samples=max_samples)


def vus_pr(labels, scores, *, max_buffer_size: int = 16, max_samples: int = 100) -> float:
    """VUS-PR of one series: ``labels`` 0/1 per row, ``scores`` higher = more anomalous.

    NaN when the series has no labelled or no normal row. Non-finite scores count as 0.
    """
    y = np.asarray(labels, dtype=int)
    s = np.nan_to_num(np.asarray(scores, dtype=float), nan=0.0, posinf=0.0, neginf=0.0)
    if y.shape != s.shape:
        raise ValueError(f"{len(y)} labels for {len(s)} scores")
    if not 0 < y.sum() < len(y):
        return float("nan")
    lo, hi = float(s.min()), float(s.max())
    s = (s - lo) / (hi - lo) if hi > lo else np.zeros_like(s)  # the metric wants scores in [0, 1]
    return float(_metric(max_buffer_size, max_samples).compute(y, s))


def corpus_vus_pr(pairs: Iterable[tuple[np.ndarray, np.ndarray]], **kw) -> float:
    """Mean :func:`vus_pr` over ``(labels, scores)`` pairs that have one (NaN if none has)."""
    values = [v for y, s in pairs if np.isfinite(v := vus_pr(y, s, **kw))]
    return float(np.mean(values)) if values else float("nan")
