"""横向对比: the unit among peer districts on the period's values.

A simple comparison of the report's own, behind one function, :func:`peer_comparison`.
TODO(issue 16): switch to ``govperf_ml.comparison`` (districts x indicators standardised
against target and peers, written for the console's comparison page) once it is merged,
so that the report and the console rank units the same way.
"""

from __future__ import annotations

import math

import pandas as pd

from api.reports.figures import PeerRow


def _ranks(frame: pd.DataFrame) -> pd.DataFrame:
    """Per indicator: each unit's rank (1 = best, direction-aware) and the number ranked."""
    frame = frame.dropna(subset=["value"]).copy()
    signed = frame["value"].where(frame["direction"] != "lower", -frame["value"])
    frame["rank"] = signed.groupby(frame["indicator"]).rank(ascending=False, method="min").astype(int)
    frame["of"] = frame.groupby("indicator")["value"].transform("size").astype(int)
    return frame


def _median(values: pd.Series) -> float | None:
    value = float(values.median()) if len(values) else math.nan
    return None if math.isnan(value) else value


def _better(value: float, median: float | None, direction: str | None) -> bool | None:
    if median is None or value == median:
        return None
    return (value < median) if direction == "lower" else (value > median)


def _district(ranked: pd.DataFrame, org_unit: str, peer_group: dict[str, str], order) -> list[PeerRow]:
    group = peer_group.get(org_unit)
    peers = [u for u, g in peer_group.items() if g == group and u != org_unit] if group else []
    if not peers:  # no known peer group: every other unit is a peer
        peers = sorted(set(ranked["org_unit"]) - {org_unit})
    rows = []
    for indicator, g in ranked.groupby("indicator", sort=True):
        own = g[g["org_unit"] == org_unit]
        if own.empty:
            continue
        own_row = own.iloc[0]
        peer_median = _median(g.loc[g["org_unit"].isin(peers), "value"])
        rows.append(PeerRow(
            org_unit=org_unit, indicator=str(indicator), value=float(own_row["value"]), peer_median=peer_median,
            city_median=_median(g["value"]), rank=int(own_row["rank"]), of=int(own_row["of"]),
            better=_better(float(own_row["value"]), peer_median, own_row["direction"]),
        ))
    return sorted(rows, key=lambda r: order(r.indicator))


def _city(ranked: pd.DataFrame) -> list[PeerRow]:
    """Units ordered by their mean rank percentile over the indicators (0 = best)."""
    ranked = ranked.assign(pct=(ranked["rank"] - 1) / (ranked["of"] - 1).clip(lower=1))
    score = ranked.groupby("org_unit")["pct"].mean().sort_index()
    order = score.sort_values(kind="stable")
    rows = []
    for position, (unit, pct) in enumerate(order.items(), start=1):
        rows.append(PeerRow(
            org_unit=str(unit), indicator="", value=round(100 * (1 - float(pct)), 1), peer_median=None,
            city_median=None, rank=position, of=len(order), better=None,
        ))
    return rows


def peer_comparison(values: pd.DataFrame, org_unit: str, *, whole_city: bool, peer_group: dict[str, str],
                    order=lambda indicator: indicator) -> list[PeerRow]:
    """``values``: the period's value of every unit's indicators (org_unit, indicator, value,
    direction). A district: per indicator, its value, the median of its peer group and of
    the city, and its rank. The city: every unit ranked by its mean rank over the
    indicators (``value`` = a 0-100 score, 100 = best on every indicator). ``order`` is the
    sort key of the indicators' rows."""
    if values.empty:
        return []
    ranked = _ranks(values)
    return _city(ranked) if whole_city else _district(ranked, org_unit, peer_group, order)
