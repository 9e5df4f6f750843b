"""Hierarchies of the user's own series: validate, aggregate, forecast every node, reconcile.

A hierarchy is given either as parent links (``unique_id, parent``; parent empty at the
top) or as key columns (e.g. PBS's ``Concession, Type, ATC1, ATC2``): levels Total,
Concession, Concession/Type, ... down to the series given. The user posts the bottom
series; every node's history is their sum (:func:`aggregate`), every node is forecast by
the same forecaster, and :func:`~govperf_ml.forecasting.reconcile.reconcile` makes the
forecasts add up (:func:`forecast_hierarchy`).

Every check raises a :class:`~govperf_ml.contracts.DataContractError` that names the node:
duplicate nodes, cycles, orphans (a parent that is not a node), bottom series missing from
the history or not in the hierarchy, children whose sum cannot be formed (a period some of
a node's bottom series lack), and posted aggregates that disagree with their children.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from govperf_ml.contracts import DS, ID, Y, DataContractError, short
from govperf_ml.forecasting.reconcile import METHODS, reconcile, summing_matrix

TOTAL = "Total"
SEP = "/"


@dataclass(frozen=True)
class Hierarchy:
    """``links``: one row per node (``unique_id, parent, level``); ``bottom``: the leaves."""

    links: pd.DataFrame
    bottom: list[str]

    @property
    def nodes(self) -> list[str]:
        return list(self.links[ID])

    def level_of(self) -> dict[str, str]:
        return dict(zip(self.links[ID], self.links["level"]))


def _blank(value) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value)) or str(value).strip() == ""


def from_parents(links: pd.DataFrame, *, parent_col: str = "parent") -> Hierarchy:
    """Validate parent links: duplicates, orphans and cycles are refused, naming the node."""
    if ID not in links.columns or parent_col not in links.columns:
        raise DataContractError(f"hierarchy: needs columns {ID!r} and {parent_col!r}", field=parent_col)
    if links.empty:
        raise DataContractError("hierarchy: no nodes", field=parent_col)
    ids = links[ID].astype(str).str.strip()
    dup = sorted(set(ids[ids.duplicated()]))
    if dup:
        raise DataContractError(f"hierarchy: node listed more than once: {short(dup)}", field=ID, ids=dup)
    parent = {n: (None if _blank(p) else str(p).strip()) for n, p in zip(ids, links[parent_col])}
    orphans = sorted(n for n, p in parent.items() if p is not None and p not in parent)
    if orphans:
        missing = sorted({parent[n] for n in orphans})
        raise DataContractError(
            f"hierarchy: parent {short(missing)} of {short(orphans)} is not a node (list it with an empty "
            "parent if it is a top)", field=parent_col, ids=orphans + missing,
        )
    depth: dict[str, int] = {}
    for node in parent:
        path, cur = [], node
        while cur is not None and cur not in depth:
            if cur in path:
                cycle = path[path.index(cur):]
                raise DataContractError(f"hierarchy: cycle through {short(cycle)}", field=parent_col, ids=cycle)
            path.append(cur)
            cur = parent[cur]
        base = -1 if cur is None else depth[cur]
        for i, n in enumerate(reversed(path), start=1):
            depth[n] = base + i
    has_child = {p for p in parent.values() if p is not None}
    frame = pd.DataFrame({ID: list(parent), "parent": [parent[n] for n in parent],
                          "level": [str(depth[n]) for n in parent]})
    return Hierarchy(frame, [n for n in parent if n not in has_child])


def from_keys(frame: pd.DataFrame, keys: Sequence[str]) -> Hierarchy:
    """Levels Total / key1 / key1×key2 / ... from key columns constant within each series.

    An aggregate is named by its key values joined by ``/`` (``C/CP`` under ``C``); when
    every series has its own full key combination, the series are the bottom level, else
    they sit under their combination.
    """
    keys = [str(k) for k in keys]
    missing = [k for k in keys if k not in frame.columns]
    if not keys or missing or ID not in frame.columns:
        raise DataContractError(f"hierarchy: key columns {short(missing or keys)} not in the data",
                                field="hierarchy", ids=missing)
    per = frame[[ID, *keys]].astype({ID: str}).drop_duplicates()
    blank = per[per[keys].map(_blank).any(axis=1)][ID].tolist()
    if blank:
        raise DataContractError(f"hierarchy: series {short(blank)} lack a key value", field="hierarchy", ids=blank)
    per = per.astype(str)
    varying = sorted(set(per[ID][per[ID].duplicated()]))
    if varying:
        raise DataContractError(f"hierarchy: key values change within series {short(varying)}",
                                field="hierarchy", ids=varying)
    rows = [(TOTAL, None, TOTAL)]
    names = [SEP.join(keys[: k + 1]) for k in range(len(keys))]
    paths = [per[keys[: k + 1]].agg(SEP.join, axis=1) for k in range(len(keys))]
    deepest = len(keys) if paths[-1].duplicated().any() else len(keys) - 1
    for k in range(deepest):
        for node, up in sorted(set(zip(paths[k], paths[k - 1] if k else [TOTAL] * len(per)))):
            rows.append((node, up, names[k]))
    above = paths[deepest - 1] if deepest else pd.Series([TOTAL] * len(per), index=per.index)
    rows += [(uid, up, names[-1] if deepest < len(keys) else "series") for uid, up in zip(per[ID], above)]
    links = pd.DataFrame(rows, columns=[ID, "parent", "level"])
    checked = from_parents(links)
    return Hierarchy(checked.links.assign(level=links["level"].to_numpy()), checked.bottom)


def aggregate(history: pd.DataFrame, hierarchy: Hierarchy, *, rtol: float = 1e-6) -> pd.DataFrame:
    """Every node's history (``unique_id, ds, y, level``) as the sum of its bottom series.

    A bottom series counts as 0 before its first period (it did not exist yet); a gap after
    it, or an end before the others', makes its parent's sum impossible to form and is
    refused. Posted aggregates must agree with their children's sum.
    """
    data = history[[ID, DS, Y]].astype({ID: str}).dropna(subset=[Y])
    twice = sorted(set(data.loc[data.duplicated([ID, DS]), ID]))
    if twice:
        raise DataContractError(f"series: more than one value for a period in {short(twice)}", field="series",
                                ids=twice)
    posted = set(data[ID])
    unknown = sorted(posted - set(hierarchy.nodes))
    if unknown:
        raise DataContractError(f"series: {short(unknown)} not in the hierarchy", field="series", ids=unknown)
    absent = [b for b in hierarchy.bottom if b not in posted]
    if absent:
        raise DataContractError(f"series: no history for bottom series {short(absent)}", field="series", ids=absent)
    S, nodes, leaves = summing_matrix(hierarchy.links)
    wide = data[data[ID].isin(leaves)].pivot_table(index=DS, columns=ID, values=Y, aggfunc="sum")
    wide = wide.reindex(columns=leaves).sort_index()
    _check_cutoffs(data[data[ID].isin(leaves)])
    present = wide.notna().to_numpy()
    started = np.maximum.accumulate(present, axis=0)  # before its first period a series counts as 0
    gaps = started & ~present
    if gaps.any():
        t, j = (int(v[0]) for v in np.nonzero(gaps))
        up = hierarchy.links.set_index(ID)["parent"].get(leaves[j])
        raise DataContractError(
            f"hierarchy: the sum for {up!r} cannot be formed at {wide.index[t]:%Y-%m-%d}: its child "
            f"{leaves[j]!r} lacks that period (send a value, 0 if nothing happened)",
            field="series", ids=[str(up), leaves[j]])
    totals = np.where(started @ S.T > 0, np.nan_to_num(wide.to_numpy()) @ S.T, np.nan)
    out = pd.DataFrame(totals, index=wide.index, columns=nodes).stack().rename(Y).reset_index()
    out.columns = [DS, ID, Y]
    out = out.dropna(subset=[Y])
    _check_posted(data, out, set(nodes) - set(leaves), rtol)
    out["level"] = out[ID].map(hierarchy.level_of())
    return out[[ID, DS, Y, "level"]].sort_values([ID, DS], kind="stable").reset_index(drop=True)


def _check_cutoffs(bottom: pd.DataFrame) -> None:
    """One cutoff for the whole hierarchy: every bottom series ends in the same period."""
    last = bottom.groupby(ID)[DS].max()
    early = sorted(last.index[last < last.max()])
    if early:
        raise DataContractError(
            f"series: {short(early)} end before {last.max():%Y-%m-%d}, the last period of the others; "
            "every bottom series needs the same last period", field="series", ids=early)


def _check_posted(data: pd.DataFrame, sums: pd.DataFrame, aggregates: set, rtol: float) -> None:
    given = data[data[ID].isin(aggregates)]
    if given.empty:
        return
    both = given.merge(sums, on=[ID, DS], how="left", suffixes=("", "_sum"))
    off = ~np.isclose(both[Y], both[f"{Y}_sum"], rtol=rtol, atol=1e-9)
    if off.any():
        bad = sorted(set(both.loc[off, ID]))
        raise DataContractError(f"series: the posted history of {short(bad)} is not the sum of its children",
                                field="series", ids=bad)


def season_of(history: pd.DataFrame, freq: str | None = None) -> int:
    """The season length of the history's frequency (1 where it cannot be told)."""
    from govperf_ml.features.time import canonical_freq, infer_freq, season_length

    try:
        first = history[history[ID] == history[ID].iloc[0]]
        return int(season_length(canonical_freq(freq) if freq else infer_freq(first[DS])))
    except (DataContractError, ValueError, KeyError, IndexError):
        return 1


def hierarchy_from_columns(frame: pd.DataFrame, spec: str) -> Hierarchy:
    """``"parent"`` (a parent-link column; aggregates are rows with their own parent and an
    empty or matching ``y``) or comma-separated key columns (``"Concession,Type,ATC1,ATC2"``)."""
    cols = [c.strip() for c in str(spec).split(",") if c.strip()]
    if cols == ["parent"]:
        if "parent" not in frame.columns:
            raise DataContractError("hierarchy: no 'parent' column in the data", field="parent")
        return from_parents(frame[[ID, "parent"]].astype({ID: str}).drop_duplicates())
    return from_keys(frame, cols)


def naive_residuals(history: pd.DataFrame, season_length: int = 1) -> pd.DataFrame:
    """In-sample one-step residuals of the seasonal naive rule, ``y_t - y_{t-m}`` (``m = 1``
    where a series is shorter than three seasons): MinT's error covariance for forecasters
    that do not expose their own in-sample residuals."""
    data = history.sort_values([ID, DS], kind="stable")
    m = int(season_length) if data.groupby(ID).size().min() >= 3 * max(int(season_length), 1) else 1
    resid = data[Y] - data.groupby(ID)[Y].shift(max(m, 1))
    return pd.DataFrame({ID: data[ID], DS: data[DS], "resid": resid}).dropna()


def forecast_hierarchy(estimator, history: pd.DataFrame, hierarchy: Hierarchy | None, *, h: int,
                       level=(80, 95), freq: str | None = None, method: str = "mint_shrink",
                       season_length: int = 1) -> pd.DataFrame:
    """Forecast every node with ``estimator`` and reconcile (``method`` in :data:`METHODS`
    or ``"none"``); the result has the forecaster's columns plus ``level``."""
    if method not in (*METHODS, "none"):
        raise DataContractError(f"method: use one of {(*METHODS, 'none')}; got {method!r}", field="method")
    if hierarchy is None:
        nodes = history[[ID, DS, Y]].assign(level="series")
    else:
        nodes = aggregate(history, hierarchy)
    frame = estimator.forecast(nodes[[ID, DS, Y]], h=int(h), level=tuple(level), freq=freq)
    frame[ID] = frame[ID].astype(str)
    if hierarchy is not None and method != "none":
        resid = naive_residuals(nodes, season_length) if method == "mint_shrink" else None
        frame = reconcile(frame, hierarchy.links[[ID, "parent"]], method=method, residuals=resid)
    lv = dict(zip(nodes[ID], nodes["level"]))
    return frame.assign(level=frame[ID].map(lv)).sort_values([ID, DS], kind="stable").reset_index(drop=True)


def coherence_by_node(forecasts: pd.DataFrame, hierarchy: Hierarchy, column: str) -> pd.Series:
    """Per node, the largest |its forecast - the sum of its bottom series' forecasts| over periods."""
    S, nodes, leaves = summing_matrix(hierarchy.links)
    wide = forecasts.pivot(index=DS, columns=ID, values=column)
    base = wide.reindex(columns=nodes).to_numpy(float)
    sums = wide.reindex(columns=leaves).to_numpy(float) @ S.T
    return pd.Series(np.abs(base - sums).max(axis=0) if len(base) else 0.0, index=nodes, name="coherence_error")


def coherence_error(forecasts: pd.DataFrame, hierarchy: Hierarchy, column: str) -> float:
    """The largest |node forecast - sum of its bottom series' forecasts| over all nodes and periods."""
    return float(coherence_by_node(forecasts, hierarchy, column).max())
