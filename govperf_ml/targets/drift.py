"""Drift of the target model's calibration: do targets of each colour still miss as often
as the backtest said?

The served model carries its backtest's miss rate per status (``backtest_calibration_``
["by_status"], from :func:`govperf_ml.training.backtest_calibration`). Given the decided
targets since (status when assessed, missed or not), :func:`find_status_drift` flags each
colour whose observed miss rate lies outside what the backtest allows: a two-sided exact
binomial test against the backtest's rate, widened by the backtest's own uncertainty (the
rate is tested against the nearer end of its 99 % Wilson interval), p < ``alpha``, with at
least ``min_targets`` decided targets. The rule mirrors the forecast-accuracy watch
(:mod:`govperf_ml.forecasting.accuracy`); raising the ``model_drift`` alert is the
service's job.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np
import pandas as pd
from scipy.stats import binomtest, norm

_ZH = {"green": "绿灯", "amber": "黄灯", "red": "红灯"}


def wilson(k: int, n: int, alpha: float = 0.01) -> tuple[float, float]:
    """Wilson score interval of a proportion ``k / n``."""
    z = norm.ppf(1 - alpha / 2)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class StatusDriftRule:
    alpha: float = 0.001
    min_targets: int = 12


@dataclass(frozen=True)
class StatusDrift:
    status: str
    observed: float
    backtest_lo: float
    backtest_hi: float
    n: int
    p_value: float
    reason_en: str
    reason_zh: str


def find_status_drift(status, missed, by_status: Mapping,
                      rule: StatusDriftRule = StatusDriftRule()) -> list[StatusDrift]:
    """Colours whose observed miss rate drifted from the backtest's (see the module doc)."""
    status, missed = np.asarray(status, dtype=object), np.asarray(missed, dtype=bool)
    if status.shape != missed.shape:
        raise ValueError(f"status and missed differ in length: {len(status)} vs {len(missed)}")
    found = []
    for colour, ref in by_status.items():
        n_ref, rate = int(ref.get("n") or 0), ref.get("miss_rate")
        mask = status == colour
        n, k = int(mask.sum()), int(missed[mask].sum())
        if n < rule.min_targets or rate is None or n_ref == 0:
            continue
        lo, hi = wilson(round(rate * n_ref), n_ref)
        observed = k / n
        edge = lo if observed < lo else hi if observed > hi else None
        if edge is None:
            continue
        p = binomtest(k, n, min(max(edge, 1e-9), 1 - 1e-9)).pvalue
        if p < rule.alpha:
            found.append(StatusDrift(
                colour, observed, float(lo), float(hi), n, float(p),
                f"{observed:.0%} of the last {n} {colour} targets were missed; the backtest allows "
                f"{lo:.0%}–{hi:.0%}: the target model's probabilities no longer hold.",
                f"最近{n}个{_ZH.get(colour, colour)}目标中{observed:.0%}未达标，回测范围为{lo:.0%}–{hi:.0%}，"
                "目标风险模型的概率已失准。",
            ))
    return found


def live_episodes(assessments, fractions=(0.25, 0.5, 0.75), tolerance: float = 0.125):
    """The served model's own episodes of decided targets, shaped like the backtest's.

    The backtest scores each past target at ``fractions`` of its period elapsed
    (:func:`govperf_ml.targets.episodes.build_episodes`); live, a target is assessed
    whenever its values arrive. For each decided target and fraction this keeps the stored
    assessment nearest that point of the period (within ``tolerance`` of it), each
    assessment at most once, so a series assessed daily weighs as much as a monthly one.

    ``assessments``: a frame with ``target_id``, ``start``, ``deadline``, ``as_of``,
    ``status`` and ``missed``. Returns the chosen rows (``status``, ``missed``, …).
    """
    a = assessments.copy()
    if a.empty:
        return a
    start, deadline = pd.to_datetime(a["start"]), pd.to_datetime(a["deadline"])
    span = (deadline - start).dt.total_seconds().clip(lower=1.0)
    a["elapsed"] = ((pd.to_datetime(a["as_of"]) - start).dt.total_seconds() / span).clip(0.0, 1.0)
    picked = []
    for f in fractions:
        dist = (a["elapsed"] - f).abs()
        near = a.assign(dist=dist)[dist <= tolerance]
        picked.append(near.sort_values("dist").groupby("target_id", sort=False).head(1).index)
    keep = picked[0].append(picked[1:]).unique() if picked else pd.Index([])
    return a.loc[keep].drop(columns="elapsed")
