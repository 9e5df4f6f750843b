"""横向对比: the unit among peer districts on the period's values, by
:func:`govperf_ml.comparison.compare_units` (robust z against peers with the direction
applied, ranks, rank changes) — the same figures as the console's comparison page.

A district: per indicator, its value, the medians of its peer group and of the city, its
robust z against the peer group, its rank in the city and the change of that rank since
the month before. The city: every district ranked by its mean z over the indicators
(against all districts), with the mean by service dimension (:func:`compare_dimensions`).
"""

from __future__ import annotations

import math

import pandas as pd

from api.console.compare_view import OTHER, indicator_meta
from api.console.names import indicator_info, indicator_order, peer_group
from api.reports.figures import PeerRow
from govperf_ml.comparison import compare_dimensions, compare_units


def _number(value) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def _better(z: float | None, value: float | None, median: float | None, direction: str) -> bool | None:
    """Better than the peers: by the z-score, or (too few peers for one) by the median."""
    if z is not None:
        return None if z == 0 else z > 0
    if value is None or median is None or value == median:
        return None
    return (value < median) if direction == "lower" else (value > median)


def _inputs(history: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(observations, indicators meta) in the comparison's shape."""
    obs = history.rename(columns={"value": "y"}).assign(unique_id=history["org_unit"] + "|" + history["indicator"])
    meta, _ = indicator_meta(obs, indicator_info)
    return obs[obs["indicator"].isin(meta["indicator"])], meta


def _district(history: pd.DataFrame, targets: pd.DataFrame, org_unit: str, period) -> list[PeerRow]:
    obs, meta = _inputs(history)
    groups = {u: peer_group(u) or OTHER for u in obs["org_unit"].unique()}
    city = compare_units(obs, meta, targets, period)
    grouped = compare_units(obs, meta, targets, period, peer_groups=groups)
    mine = grouped[grouped["unit"] == org_unit].set_index("indicator")
    in_city = city[city["unit"] == org_unit].set_index("indicator")
    same = grouped[grouped["peer_group"] == groups.get(org_unit)]
    rows = []
    for indicator, row in mine.iterrows():
        if pd.isna(row["value"]) or pd.isna(in_city.at[indicator, "rank"]):
            continue  # no value this period (a missing submission): nothing to compare
        peers = same[(same["indicator"] == indicator) & (same["unit"] != org_unit)]["value"]
        z = _number(row["z_vs_peers"])
        peer_median = _number(peers.median()) if len(peers) else None
        rows.append(PeerRow(
            org_unit=org_unit, indicator=str(indicator), value=_number(row["value"]),
            peer_median=peer_median,
            city_median=_number(city.loc[city["indicator"] == indicator, "value"].median()),
            rank=int(in_city.at[indicator, "rank"]), of=int(in_city.at[indicator, "n_peers"]),
            better=_better(z, _number(row["value"]), peer_median, row["direction"]), z=z,
            rank_change=_number(in_city.at[indicator, "rank_change"]),
            pct_of_target=_number(row["pct_of_target"]),
        ))
    return sorted(rows, key=lambda r: indicator_order(r.indicator))


def _city(history: pd.DataFrame, targets: pd.DataFrame, period) -> list[PeerRow]:
    obs, meta = _inputs(history)
    table = compare_units(obs, meta, targets, period)
    dims = compare_dimensions(table)
    overall = table.groupby("unit")["z_vs_peers"].mean().sort_index()  # NaN: too few peers for a z-score
    order = overall.rank(ascending=False, method="min", na_option="bottom")
    rows = []
    for unit in sorted(overall.index, key=lambda u: (order[u], u)):
        by_dim = dims[dims["unit"] == unit].set_index("dimension")["z_vs_peers"]
        rows.append(PeerRow(
            org_unit=str(unit), indicator="", value=_number(overall[unit]), peer_median=None, city_median=None,
            rank=int(order[unit]), of=len(overall), better=None, z=_number(overall[unit]),
            by_dimension={str(d): _number(z) for d, z in by_dim.items()},
        ))
    return rows


def peer_comparison(history: pd.DataFrame, targets: pd.DataFrame, org_unit: str, period, *,
                    whole_city: bool) -> list[PeerRow]:
    """``history``: every unit's observations (org_unit, indicator, ds, value, direction)
    through ``period``; ``targets``: unique_id, target, start, deadline."""
    if history.empty or not (history["ds"] == pd.Timestamp(period)).any():
        return []
    if whole_city:
        return _city(history, targets, pd.Timestamp(period))
    return _district(history, targets, org_unit, pd.Timestamp(period))
