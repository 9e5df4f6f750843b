"""A target's chart: the outcome so far, the projection fan to the deadline, the target line.

The outcome is drawn on the target's own scale: the values themselves for a ``last``
target, their running mean since the start for a ``mean`` target, their running sum for
a ``sum`` target (the target is a total). The fan runs from the last outcome to the
projection at the deadline; ``projected_lo``/``projected_hi`` are the assessment's 80 %
interval (what the targets models store), and the 95 % band is that interval widened as
a normal distribution would widen it (×1.96/1.28), since no 95 % interval is stored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from govperf_ml.plots.series import series_chart

Z80, Z95 = 1.2815516, 1.9599640
CONTEXT_PERIODS = 12  # values before the start drawn for a ``last`` target


def outcome_path(periods: Sequence, values: Sequence[float], *, start, aggregation: str) -> pd.DataFrame:
    """(ds, y): the outcome as the target measures it, period by period."""
    frame = pd.DataFrame({"ds": pd.to_datetime(pd.Series(list(periods))), "y": np.asarray(values, dtype=float)})
    frame = frame.sort_values("ds").reset_index(drop=True)
    inside = frame[frame["ds"] >= pd.Timestamp(start)].copy()
    if aggregation == "last":
        before = frame[frame["ds"] < pd.Timestamp(start)].tail(CONTEXT_PERIODS)
        return pd.concat([before, inside], ignore_index=True)
    if aggregation == "mean":
        inside["y"] = inside["y"].expanding().mean()
    elif aggregation == "sum":
        inside["y"] = inside["y"].fillna(0).cumsum()
    else:
        raise ValueError(f"aggregation must be last, mean or sum; got {aggregation!r}")
    return inside.reset_index(drop=True)


def projection_fan(last_ds, last_value: float, deadline, projected: float, lo_80: float, hi_80: float) -> pd.DataFrame:
    """The fan from the last outcome to the projection at the deadline (80 % and 95 %)."""
    widen = Z95 / Z80
    lo_95, hi_95 = projected - (projected - lo_80) * widen, projected + (hi_80 - projected) * widen
    return pd.DataFrame({
        "ds": pd.to_datetime([last_ds, deadline]),
        "mean": [last_value, projected],
        "lo_80": [last_value, lo_80], "hi_80": [last_value, hi_80],
        "lo_95": [last_value, lo_95], "hi_95": [last_value, hi_95],
    })


def target_chart(
    periods: Sequence,
    values: Sequence[float],
    *,
    start,
    deadline,
    target: float,
    aggregation: str,
    projected: float | None = None,
    projected_lo: float | None = None,
    projected_hi: float | None = None,
    title: str = "",
    labels: Mapping[str, str] | None = None,
) -> Figure:
    """The chart of one target (see the module's docstring); without a projection, no fan."""
    path = outcome_path(periods, values, start=start, aggregation=aggregation)
    fan = None
    known = path.dropna(subset=["y"])
    if projected is not None and projected_lo is not None and projected_hi is not None and len(known):
        last = known.iloc[-1]
        fan = projection_fan(last["ds"], float(last["y"]), deadline, projected, projected_lo, projected_hi)
    if path.empty:  # nothing observed since the start: the chart starts at the start
        path = pd.DataFrame({"ds": [pd.Timestamp(start)], "y": [np.nan]})
    return series_chart(path["ds"], path["y"], target=target, target_deadline=deadline, forecast=fan,
                        title=title, labels=labels)
