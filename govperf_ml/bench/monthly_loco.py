"""Leave-one-corpus-out settings for the monthly anomaly bench.

The served pipeline's settings were chosen with PBS and the sample city in view, so its
figures there are in-corpus. To say how well a setting generalises, each corpus is scored
with the setting chosen on the *other two* (best mean event F1 among :data:`CANDIDATES`,
ties to the earlier candidate), and the bench prints that leave-one-corpus-out (LOCO)
figure beside the served default's.

Each candidate changes only documented parameters of the served pipeline: the deviation
threshold, the detector's two-pass expectation (``clean_z``) and its per-series alarm
level learned from the series' own past |z| (``tail_quantile``), and whether a zero in a
series that has had zeros before may still be a blank (``zeros_seen_ok``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from govperf_ml.anomaly import AnomalyPipeline, SeasonalRobustZScore
from govperf_ml.postprocess.threshold import ThresholdRule

#: name → settings; the first is the served default
CANDIDATES = {
    "default (threshold 3.5)": {},
    "threshold 4.5": {"threshold": 4.5},
    "threshold 5.5": {"threshold": 5.5},
    "own alarm level (q 0.9)": {"tail_quantile": 0.9},
    "own alarm level, threshold 4.5": {"tail_quantile": 0.9, "threshold": 4.5},
    "own alarm level, threshold 5.5": {"tail_quantile": 0.9, "threshold": 5.5},
    "two-pass (clip 3.5)": {"clean_z": 3.5},
    "two-pass, threshold 5.5": {"clean_z": 3.5, "threshold": 5.5},
    "two-pass + own level, threshold 4.5": {"clean_z": 3.5, "tail_quantile": 0.9, "threshold": 4.5},
    "zeros seen ok, own level, threshold 5.5": {"zeros_seen_ok": True, "tail_quantile": 0.9, "threshold": 5.5},
}
DETECTOR_KEYS = ("clean_z", "tail_quantile", "rel_scale_floor")


def make_pipeline(settings: dict) -> AnomalyPipeline:
    """The served pipeline with ``settings`` (keys of :data:`CANDIDATES`' values) applied."""
    det = {k: v for k, v in settings.items() if k in DETECTOR_KEYS}
    rule = ThresholdRule(threshold=settings["threshold"]) if "threshold" in settings else None
    return AnomalyPipeline(detector=SeasonalRobustZScore(**det) if det else None, rule=rule,
                           zeros_seen_ok=bool(settings.get("zeros_seen_ok", False)))


def choose_loco(results: dict[str, dict[str, dict]]) -> dict[str, str]:
    """For each corpus, the candidate with the best mean event F1 on the other corpora.

    ``results[candidate][corpus]`` holds :func:`~govperf_ml.bench.monthly.evaluate` dicts.
    """
    names = list(results)
    corpora = list(next(iter(results.values())))
    chosen = {}
    for held in corpora:
        others = [c for c in corpora if c != held]
        if not others:
            raise ValueError("leave-one-corpus-out needs at least two corpora")
        mean_f1 = [float(np.mean([results[n][c]["f1"] for c in others])) for n in names]
        chosen[held] = names[int(np.argmax(mean_f1))]
    return chosen


def loco_table(results: dict[str, dict[str, dict]], default: str) -> pd.DataFrame:
    """Per corpus: the served default's figures (in-corpus) beside the LOCO choice's."""
    chosen = choose_loco(results)
    rows = []
    for corpus, name in chosen.items():
        d, c = results[default][corpus], results[name][corpus]
        rows.append({"corpus": corpus, "LOCO setting (chosen on the others)": name,
                     "default F1": d["f1"], "LOCO F1": c["f1"],
                     "default flagged_P": d["flagged_precision"], "LOCO flagged_P": c["flagged_precision"],
                     "default dip R": d["kinds"].get("dip", np.nan), "LOCO dip R": c["kinds"].get("dip", np.nan)})
    return pd.DataFrame(rows)
