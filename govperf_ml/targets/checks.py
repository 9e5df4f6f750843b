"""Targets that cannot be judged from the series they name, refused with their target ids.

* a deadline before the series' first value (nothing to assess it from);
* a target period that is over (its deadline at or before the assessment time) with no
  value inside it (its outcome cannot be known);
* a zero or negative target on a ratio indicator (a rate, share or percentage: every
  value is above zero, so a "higher" target is met before it starts and a "lower" one
  can never be). An indicator is a ratio when its name says so: it ends in ``_rate``,
  ``_ratio``, ``_share``, ``_pct``, ``_percent``, ``率``, ``比例`` or ``占比``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from govperf_ml.contracts import DEADLINE, DS, ID, START, TARGET, Y, DataContractError, short
from govperf_ml.vocabulary import indicator_of

RATIO_ENDINGS = ("_rate", "_ratio", "_share", "_pct", "_percent", "率", "比例", "占比")
MIN_HISTORY = 3  # fewer observed periods: the risk model is not used (see TargetRiskModel.assess)


def is_ratio_indicator(unique_id: str) -> bool:
    return indicator_of(str(unique_id)).lower().endswith(RATIO_ENDINGS)


def _refuse(tg: pd.DataFrame, bad: pd.Series, what: str, field: str) -> None:
    if bad.any():
        ids = tg.loc[bad, "target_id"].astype(str).tolist()
        raise DataContractError(f"targets: {what} for target {short(ids)}", field=field, ids=ids)


def check_targets(hist: pd.DataFrame, tg: pd.DataFrame, as_of=None) -> None:
    """Raise a :class:`DataContractError` naming the target ids of the first kind of
    problem found (validated frames; every target's series is in ``hist``)."""
    seen = hist.dropna(subset=[Y])
    first = tg[ID].map(seen.groupby(ID)[DS].min())
    _refuse(tg, first.isna() | (tg[DEADLINE] < first), "the deadline is before the series' first value", DEADLINE)
    when = pd.Series(pd.Timestamp(as_of), index=tg.index) if as_of is not None else tg[ID].map(seen.groupby(ID)[DS].max())
    over = tg[DEADLINE] <= when
    by_series = {uid: g[DS].to_numpy() for uid, g in seen.groupby(ID, sort=False)}
    empty = pd.Series([
        bool(o) and not np.any((by_series[u] > np.datetime64(s)) & (by_series[u] <= np.datetime64(d)))
        for u, s, d, o in zip(tg[ID], tg[START], tg[DEADLINE], over, strict=True)
    ], index=tg.index)
    _refuse(tg, empty, "the target period is over and has no observed value", START)
    ratio = tg[ID].map(is_ratio_indicator).astype(bool)
    _refuse(tg, ratio & (tg[TARGET] <= 0), "a ratio indicator needs a target above 0", TARGET)


def observed_counts(hist: pd.DataFrame, tg: pd.DataFrame, as_ofs) -> np.ndarray:
    """How many values each target's series has up to its assessment time."""
    by_series = {uid: g[DS].to_numpy() for uid, g in hist.dropna(subset=[Y]).groupby(ID, sort=False)}
    return np.array([int(np.sum(by_series.get(u, np.empty(0, "datetime64[ns]")) <= np.datetime64(a)))
                     for u, a in zip(tg[ID], as_ofs, strict=True)])
