"""Target episodes: what was known at an assessment time, and whether the target was met.

Used to train anything that maps an assessment to a probability, and to backtest it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from govperf_ml.contracts import AGGREGATION, DEADLINE, DIRECTION, DS, ID, START, TARGET, Y


def period_values(g: pd.DataFrame, start, end) -> pd.Series:
    """Observed values in (start, end]."""
    m = (g[DS] > start) & (g[DS] <= end)
    return g.loc[m, Y].dropna()


def aggregate(values: pd.Series, aggregation: str) -> float:
    if values.empty:
        return float("nan")
    if aggregation == "last":
        return float(values.iloc[-1])
    if aggregation == "mean":
        return float(values.mean())
    return float(values.sum())


def is_missed(value: float, target: float, direction: str) -> bool:
    return bool(value < target) if direction == "higher" else bool(value > target)


def spacing(ds: pd.Series) -> pd.Timedelta:
    """The median spacing of a series' timestamps (a month for monthly data)."""
    if len(ds) < 2:
        return pd.Timedelta(days=30)
    return pd.Timedelta(np.median(np.diff(np.sort(ds.to_numpy())).astype("timedelta64[ns]").astype(np.int64)), "ns")


def covers(g: pd.DataFrame, when: pd.Timestamp) -> bool:
    """Whether the series has reached the period that contains ``when``.

    Monthly values are stamped at the month start, so the December value (2025-12-01)
    covers a deadline of 2025-12-31.
    """
    return bool(g[DS].max() + spacing(g[DS]) > when)


def aggregate_outcome(history: pd.DataFrame, targets: pd.DataFrame) -> pd.DataFrame:
    """For targets whose deadline has passed: the achieved value and whether it was missed.

    Targets with no observations in their period are left out.
    """
    groups = {uid: g for uid, g in history.groupby(ID, sort=False)}
    rows = []
    for t in targets.itertuples(index=False):
        g = groups.get(getattr(t, ID))
        if g is None or not covers(g, getattr(t, DEADLINE)):
            continue
        vals = period_values(g, getattr(t, START), getattr(t, DEADLINE))
        if vals.empty:
            continue
        achieved = aggregate(vals, getattr(t, AGGREGATION))
        rows.append(
            {
                "target_id": t.target_id,
                "achieved": achieved,
                "missed": is_missed(achieved, getattr(t, TARGET), getattr(t, DIRECTION)),
            }
        )
    return pd.DataFrame(rows, columns=["target_id", "achieved", "missed"])


def build_episodes(history: pd.DataFrame, targets: pd.DataFrame, *, fractions=(0.25, 0.5, 0.75)) -> pd.DataFrame:
    """Assessment points for past targets: one per fraction of the target period elapsed.

    Returns the targets frame repeated with an ``as_of`` column and the outcome ``missed``.
    """
    outcome = aggregate_outcome(history, targets)
    done = targets.merge(outcome, on="target_id", how="inner")
    if done.empty:
        return done.assign(as_of=pd.Series(dtype="datetime64[ns]"))
    reps = []
    for f in fractions:
        span = done[DEADLINE] - done[START]
        reps.append(done.assign(as_of=(done[START] + span * f).dt.normalize()))
    return pd.concat(reps, ignore_index=True)


def periods_between(start: pd.Timestamp, end: pd.Timestamp, ds: pd.Series) -> float:
    """How many of the series' periods lie in (start, end], from its median spacing."""
    step = spacing(ds).total_seconds()
    return max(0.0, (end - start).total_seconds() / max(step, 1.0))
