"""Multi-dimensional comparison of units (横向对比): every unit on every indicator, for one
period, against its target and against its peers, with ranks and rank changes.

Pure pandas; one table in, one tidy table out (one row per unit and indicator):

``compare_units(observations, indicators_meta, targets, period)`` returns the columns
:data:`COLUMNS`. The standardisations, chosen so that **a positive number is always good**:

``z_vs_peers``
    robust z-score against the unit's peers on the same indicator and period:
    ``sign * (value - median) / (1.4826 * MAD)``, ``sign`` = +1 where higher is better and
    -1 where lower is better. The peers are all units with a value (or, with ``peer_groups``,
    those of the unit's group). Where the MAD is 0 (most peers report the same value) the
    scale falls back to ``1.2533 * mean absolute deviation from the median``; where that is
    0 too, everyone is equal and z is 0. Fewer than :data:`MIN_PEERS` peers with a value:
    NaN (a z-score of two numbers says nothing). Unchanged by ``a * y + b`` with ``a > 0``.
``pct_of_target``
    ``100 * value / target`` (the familiar 完成率), NaN without a target or with target 0.
``vs_target``
    the gap to the target in % of the target, direction applied:
    ``sign * (value - target) / |target| * 100``; >= 0 means the target is met.
``rank``
    1 = best among the peers (direction applied; ties share the best rank).
``rank_change``
    ``prev_rank - rank`` against the comparison period (``compare_to="previous"``: the
    indicator's latest period before ``period``; ``"year"``: the same period a year
    earlier): positive means the unit moved up.

:func:`compare_dimensions` averages the peer z-scores (and target gaps) of each unit over
the indicators of each service dimension (efficiency, service quality, satisfaction,
transparency ...) and ranks the averages; :func:`rank_history` scores the last N periods
for trend charts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from govperf_ml.contracts import (
    DEADLINE, DIMENSION, DIRECTION, DS, ID, INDICATOR, ORG_UNIT, START, TARGET, Y, DataContractError, short,
)
from govperf_ml.vocabulary import split_series_id

MAD_SCALE = 1.4826  # MAD -> standard deviation under normality
MEAN_AD_SCALE = 1.2533  # mean absolute deviation -> standard deviation (sqrt(pi / 2))
MIN_PEERS = 3
COMPARE_TO = ("previous", "year")
COLUMNS = (
    "unit", "peer_group", "indicator", "dimension", "direction", "ds", "value", "target", "pct_of_target",
    "vs_target", "z_vs_peers", "rank", "n_peers", "prev_ds", "prev_value", "prev_z_vs_peers", "prev_rank",
    "rank_change",
)
DIMENSION_COLUMNS = (
    "unit", "peer_group", "dimension", "n_indicators", "z_vs_peers", "vs_target", "rank", "prev_z_vs_peers",
    "prev_rank", "rank_change",
)


def _long(observations: pd.DataFrame) -> pd.DataFrame:
    """unit, indicator, ds, value from ``unique_id, ds, y`` (``org_unit``/``indicator``
    columns are used where present, else split from the series id)."""
    missing = [c for c in (ID, DS, Y) if c not in observations.columns]
    if missing:
        raise DataContractError(f"observations: missing columns {missing}", field=missing[0])
    obs = observations
    if ORG_UNIT in obs.columns and INDICATOR in obs.columns:
        unit, indicator = obs[ORG_UNIT].astype(str), obs[INDICATOR].astype(str)
    else:
        parts = obs[ID].astype(str).map(split_series_id)
        unit, indicator = parts.str[0], parts.str[1]
    frame = pd.DataFrame({"unit": unit, "indicator": indicator, "ds": pd.to_datetime(obs[DS]),
                          "value": pd.to_numeric(obs[Y], errors="coerce")})
    dup = frame.duplicated(["unit", "indicator", "ds"])
    if dup.any():
        ids = (frame.loc[dup, "unit"] + "|" + frame.loc[dup, "indicator"]).unique().tolist()
        raise DataContractError(f"observations: more than one value a period for {short(ids)}", field=DS, ids=ids)
    return frame


def _meta(indicators_meta: pd.DataFrame, indicators: Sequence[str]) -> pd.DataFrame:
    """One row per indicator: dimension and direction (checked)."""
    missing = [c for c in (INDICATOR, DIMENSION, DIRECTION) if c not in indicators_meta.columns]
    if missing:
        raise DataContractError(f"indicators_meta: missing columns {missing}", field=missing[0])
    meta = indicators_meta[[INDICATOR, DIMENSION, DIRECTION]].astype(str).drop_duplicates()
    twice = meta.loc[meta[INDICATOR].duplicated(), INDICATOR].unique().tolist()
    if twice:
        raise DataContractError(f"indicators_meta: conflicting rows for {short(twice)}", field=INDICATOR, ids=twice)
    bad = meta.loc[~meta[DIRECTION].isin(("higher", "lower")), INDICATOR].tolist()
    if bad:
        raise DataContractError(f"indicators_meta: direction must be 'higher' or 'lower' for {short(bad)}",
                                field=DIRECTION, ids=bad)
    unknown = sorted(set(indicators) - set(meta[INDICATOR]))
    if unknown:
        raise DataContractError(f"indicators_meta: no dimension/direction for {short(unknown)}",
                                field=INDICATOR, ids=unknown)
    return meta.rename(columns={INDICATOR: "indicator", DIMENSION: "dimension", DIRECTION: "direction"})


def _scale(dev: pd.Series) -> float:
    mad = dev.median() * MAD_SCALE
    return mad if mad > 0 else dev.mean() * MEAN_AD_SCALE


def score(frame: pd.DataFrame) -> pd.DataFrame:
    """Add ``z_vs_peers``, ``rank`` and ``n_peers`` to a frame of ``indicator, ds,
    peer_group, value, direction`` (peers: same indicator, period and group)."""
    out = frame.copy()
    sign = np.where(out["direction"] == "lower", -1.0, 1.0)
    out["_good"] = out["value"] * sign  # larger is better
    keys = [out["indicator"], out["ds"], out["peer_group"]]
    grouped = out.groupby(keys, dropna=False, sort=False)["_good"]
    median = grouped.transform("median")
    dev = (out["_good"] - median).abs()
    scale = dev.groupby(keys, dropna=False, sort=False).transform(_scale)
    n = grouped.transform("count")
    z = (out["_good"] - median) / scale.where(scale > 0)
    z = z.where(scale > 0, 0.0).where(out["_good"].notna())
    out["z_vs_peers"] = z.where(n >= MIN_PEERS)
    out["rank"] = grouped.rank(ascending=False, method="min")
    out["n_peers"] = n.astype(int)
    return out.drop(columns="_good")


def _frame(observations, indicators_meta, peer_groups) -> pd.DataFrame:
    obs = _long(observations)
    meta = _meta(indicators_meta, obs["indicator"].unique().tolist())
    obs = obs.merge(meta, on="indicator", how="left")
    groups = peer_groups or {}
    obs["peer_group"] = obs["unit"].map(lambda u: groups.get(u, "all") if groups else "all")
    return obs


def _target_at(targets: pd.DataFrame | None, period: pd.Timestamp) -> pd.DataFrame:
    """unit, indicator, target: the target whose period (start..deadline) holds ``period``
    (the earliest deadline where several do)."""
    empty = pd.DataFrame({"unit": pd.Series(dtype=str), "indicator": pd.Series(dtype=str),
                          "target": pd.Series(dtype=float)})
    if targets is None or len(targets) == 0:
        return empty
    missing = [c for c in (ID, TARGET, DEADLINE) if c not in targets.columns]
    if missing:
        raise DataContractError(f"targets: missing columns {missing}", field=missing[0])
    tg = targets.assign(**{DEADLINE: pd.to_datetime(targets[DEADLINE])})
    start = pd.to_datetime(tg[START]) if START in tg.columns else tg[DEADLINE] - pd.DateOffset(years=1)
    start = start.fillna(tg[DEADLINE] - pd.DateOffset(years=1))
    live = tg[(start <= period) & (tg[DEADLINE] >= period)].sort_values(DEADLINE, kind="stable")
    live = live.drop_duplicates(ID, keep="first")
    parts = live[ID].astype(str).map(split_series_id)
    return pd.DataFrame({"unit": parts.str[0], "indicator": parts.str[1],
                         "target": pd.to_numeric(live[TARGET], errors="coerce")}).reset_index(drop=True)


def _previous(obs: pd.DataFrame, period: pd.Timestamp, compare_to: str) -> pd.Series:
    """indicator -> the period compared with."""
    indicators = obs["indicator"].unique()
    if compare_to == "year":
        return pd.Series(period - pd.DateOffset(years=1), index=indicators)
    before = obs[(obs["ds"] < period) & obs["value"].notna()]
    return before.groupby("indicator")["ds"].max().reindex(indicators)


def compare_units(
    observations: pd.DataFrame,
    indicators_meta: pd.DataFrame,
    targets: pd.DataFrame | None = None,
    period=None,
    *,
    peer_groups: Mapping[str, str] | None = None,
    compare_to: str = "previous",
) -> pd.DataFrame:
    """Every unit on every indicator in ``period``, against target and peers (see the module).

    Parameters
    ----------
    observations
        ``unique_id`` (``"<unit>|<indicator>"``), ``ds``, ``y``; ``org_unit`` and
        ``indicator`` columns, where present, name the unit and indicator instead.
    indicators_meta
        ``indicator``, ``dimension``, ``direction`` (``higher``/``lower``); one row per
        indicator (repeats with the same values are fine, e.g. one row per series).
    targets
        ``unique_id``, ``target``, ``deadline`` and optionally ``start`` (default: a year
        before the deadline); the target whose period holds ``period`` applies. None: no targets.
    period
        The period compared (a ``ds`` of the observations); None: the latest one.
    peer_groups
        unit -> peer group: z-scores and ranks within the group; None: all units are peers.
    compare_to
        ``"previous"`` (the indicator's latest earlier period) or ``"year"`` (a year before).
    """
    if compare_to not in COMPARE_TO:
        raise DataContractError(f"compare_to must be one of {COMPARE_TO}, got {compare_to!r}", field="compare_to")
    obs = _frame(observations, indicators_meta, peer_groups)
    period = obs["ds"].max() if period is None else pd.Timestamp(period)
    if not (obs["ds"] == period).any():
        raise DataContractError(f"period: no observations for {period:%Y-%m-%d}", field="period")
    prev = _previous(obs, period, compare_to)
    wanted = (obs["ds"] == period) | (obs["ds"] == obs["indicator"].map(prev))
    scored = score(obs[wanted])
    now = scored[scored["ds"] == period]
    before = scored[scored["ds"] != period][["unit", "indicator", "ds", "value", "z_vs_peers", "rank"]]
    before.columns = ["unit", "indicator", "prev_ds", "prev_value", "prev_z_vs_peers", "prev_rank"]
    out = now.merge(before, on=["unit", "indicator"], how="left")
    out = out.merge(_target_at(targets, period), on=["unit", "indicator"], how="left")
    sign = np.where(out["direction"] == "lower", -1.0, 1.0)
    target = out["target"].where(out["target"] != 0)
    out["pct_of_target"] = 100.0 * out["value"] / target
    out["vs_target"] = sign * (out["value"] - target) / target.abs() * 100.0
    out["rank_change"] = out["prev_rank"] - out["rank"]
    out = out.sort_values(["dimension", "indicator", "unit"], kind="stable").reset_index(drop=True)
    return out[list(COLUMNS)]


def compare_dimensions(table: pd.DataFrame) -> pd.DataFrame:
    """Units by service dimension from :func:`compare_units`' table: the mean peer z-score
    and mean target gap over the dimension's indicators, ranked (1 = best) within the peer
    group, with the rank change from the same means in the comparison period."""
    keys = ["unit", "peer_group", "dimension"]
    out = table.groupby(keys, sort=True).agg(
        n_indicators=("z_vs_peers", "count"), z_vs_peers=("z_vs_peers", "mean"),
        vs_target=("vs_target", "mean"), prev_z_vs_peers=("prev_z_vs_peers", "mean"),
    ).reset_index()
    by = out.groupby(["dimension", "peer_group"], sort=False)
    out["rank"] = by["z_vs_peers"].rank(ascending=False, method="min")
    out["prev_rank"] = by["prev_z_vs_peers"].rank(ascending=False, method="min")
    out["rank_change"] = out["prev_rank"] - out["rank"]
    return out[list(DIMENSION_COLUMNS)]


def rank_history(
    observations: pd.DataFrame,
    indicators_meta: pd.DataFrame,
    period=None,
    n_periods: int = 12,
    *,
    indicator: str | None = None,
    peer_groups: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """unit, indicator, ds, value, z_vs_peers, rank over the last ``n_periods`` periods up
    to ``period`` (None: the latest), for trend charts; one indicator or all."""
    if int(n_periods) < 1:
        raise DataContractError(f"n_periods must be at least 1, got {n_periods}", field="n_periods")
    obs = _frame(observations, indicators_meta, peer_groups)
    if indicator is not None:
        if indicator not in set(obs["indicator"]):
            raise DataContractError(f"indicator: no observations of {indicator!r}", field="indicator")
        obs = obs[obs["indicator"] == indicator]
    period = obs["ds"].max() if period is None else pd.Timestamp(period)
    periods = np.sort(obs.loc[obs["ds"] <= period, "ds"].unique())[-int(n_periods):]
    scored = score(obs[obs["ds"].isin(periods)])
    cols = ["unit", "peer_group", "indicator", "dimension", "direction", "ds", "value", "z_vs_peers", "rank"]
    return scored.sort_values(["indicator", "unit", "ds"], kind="stable").reset_index(drop=True)[cols]
