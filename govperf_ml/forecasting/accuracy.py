"""Stored forecasts scored against the actuals that arrive later, and when to call it drift.

A forecast row carries its point forecast, its 80/95 % interval and its MASE ``scale``
(the in-sample MAE of the seasonal naive on the history it was made from). Once the
actual is known, :func:`score` gives the row's absolute and scaled error and whether the
intervals held; :func:`summarise` aggregates any grouping (series, level, model version)
into n, MAE, MASE and coverage; :func:`find_drift` compares a group's live figures with the
model's backtest and says whether the model has drifted:

* **coverage**: the share of actuals inside the 80 % (or 95 %) interval is significantly
  below what was promised — the smaller of the nominal level and the backtest's coverage
  (a one-sided exact binomial test, ``p < alpha``, on at least ``min_points`` actuals).
  Coverage is the figure a user relies on ("the range we give holds 8 times in 10");
  the exact test keeps false alarms at ``alpha`` per check whatever the sample size.
* **accuracy**: the live MASE is more than ``mase_ratio`` times the backtest's (on at
  least ``min_points`` actuals with a scale). The backtest reports one MASE, not its
  spread, so the rule is a ratio, set wide enough that a season of ordinary luck
  does not trip it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import binomtest

LEVELS = (80, 95)


def score(rows: pd.DataFrame) -> pd.DataFrame:
    """``rows`` (``mean``, ``actual``, optional ``scale``, ``lo_80`` ... ``hi_95``) with
    ``abs_error``, ``scaled_error`` (NaN without a positive scale) and ``in_80``/``in_95``
    (NaN where the interval is missing) added."""
    out = rows.copy()
    actual = out["actual"].astype(float)
    out["abs_error"] = (actual - out["mean"].astype(float)).abs()
    scale = out["scale"].astype(float) if "scale" in out else pd.Series(np.nan, index=out.index)
    out["scaled_error"] = out["abs_error"] / scale.where(scale > 0)
    for lv in LEVELS:
        lo, hi = out.get(f"lo_{lv}"), out.get(f"hi_{lv}")
        if lo is None or hi is None:
            out[f"in_{lv}"] = np.nan
            continue
        inside = (actual >= lo.astype(float)) & (actual <= hi.astype(float))
        out[f"in_{lv}"] = inside.astype(float).where(lo.notna() & hi.notna())
    return out


def summarise(scored: pd.DataFrame, by: Sequence[str] = ()) -> pd.DataFrame:
    """n, MAE, MASE (mean scaled error), coverage80/95 and their counts per group of ``by``
    (one row for all when ``by`` is empty)."""
    def one(group: pd.DataFrame) -> pd.Series:
        values = {"n": len(group), "mae": group["abs_error"].mean(), "mase": group["scaled_error"].mean(),
                  "n_scaled": int(group["scaled_error"].notna().sum())}
        for lv in LEVELS:
            held = group[f"in_{lv}"].dropna()
            values[f"coverage{lv}"] = held.mean() if len(held) else np.nan
            values[f"n_{lv}"] = len(held)
            values[f"hits_{lv}"] = int(held.sum())
        return pd.Series(values)

    if not by:
        return one(scored).to_frame().T
    return scored.groupby(list(by), sort=True).apply(one, include_groups=False).reset_index()


@dataclass(frozen=True)
class DriftRule:
    """When live figures count as drift (see the module's docstring)."""

    min_points: int = 12
    alpha: float = 0.001
    mase_ratio: float = 2.0


@dataclass(frozen=True)
class Drift:
    metric: str  # "coverage80", "coverage95" or "mase"
    live: float
    expected: float
    n: int
    p_value: float | None
    reason_en: str
    reason_zh: str


def find_drift(summary: Mapping, backtest: Mapping, rule: DriftRule = DriftRule()) -> list[Drift]:
    """The drifts of one group's live figures (a row of :func:`summarise`) against the
    model's ``backtest`` metrics (``coverage80``, ``coverage95``, ``mase``; any may be missing)."""
    found: list[Drift] = []
    for lv in LEVELS:
        n, hits = int(summary.get(f"n_{lv}", 0) or 0), int(summary.get(f"hits_{lv}", 0) or 0)
        promised = _finite(backtest.get(f"coverage{lv}"))
        expected = min(lv / 100, promised) if promised is not None else lv / 100
        if n < rule.min_points or expected <= 0:
            continue
        p = binomtest(hits, n, expected, alternative="less").pvalue
        if p < rule.alpha:
            live = hits / n
            found.append(Drift(
                f"coverage{lv}", live, expected, n, float(p),
                f"Only {live:.0%} of the last {n} actuals fell inside the {lv} % forecast interval "
                f"(backtest: {expected:.0%}); the model's intervals no longer hold.",
                f"最近{n}个实际值仅{live:.0%}落在{lv}%预测区间内（回测为{expected:.0%}），模型的预测区间已失准。",
            ))
    mase, base, n = _finite(summary.get("mase")), _finite(backtest.get("mase")), int(summary.get("n_scaled", 0) or 0)
    if mase is not None and base is not None and base > 0 and n >= rule.min_points and mase > rule.mase_ratio * base:
        found.append(Drift(
            "mase", mase, base, n, None,
            f"MASE over the last {n} actuals is {mase:.2f}, more than {rule.mase_ratio:g} times the backtest's "
            f"{base:.2f}.",
            f"最近{n}个实际值的MASE为{mase:.2f}，超过回测值{base:.2f}的{rule.mase_ratio:g}倍。",
        ))
    return found


def _finite(value) -> float | None:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if np.isfinite(value) else None
