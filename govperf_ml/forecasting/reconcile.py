"""Forecast reconciliation: district forecasts that add up to the city's.

Analysts read both levels, so the numbers must agree. Given base forecasts for every node
of a hierarchy (``unique_id`` with its ``parent``), reconciliation projects them onto the
coherent subspace ``S @ b`` (S the summing matrix, b the bottom-level series):

* ``bottom_up``: b = the leaves' own forecasts;
* ``ols``: b = (SᵀS)⁻¹Sᵀ ŷ (Hyndman et al., 2011);
* ``mint_shrink``: b = (SᵀW⁻¹S)⁻¹SᵀW⁻¹ ŷ with W the shrunk covariance of in-sample
  one-step residuals (Wickramasuriya, Athanasopoulos & Hyndman, 2019).

Interval bounds are moved by the same adjustment as their point forecast, which keeps
each interval's width and centres it on the coherent forecast.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from govperf_ml.contracts import DS, ID, DataContractError, short

METHODS = ("bottom_up", "ols", "mint_shrink")


def summing_matrix(hierarchy: pd.DataFrame, *, parent_col: str = "parent") -> tuple[np.ndarray, list, list]:
    """S (nodes × leaves) from a (unique_id, parent) table; returns S, node ids, leaf ids."""
    if ID not in hierarchy.columns or parent_col not in hierarchy.columns:
        raise DataContractError(f"hierarchy: needs columns {ID!r} and {parent_col!r}", field=parent_col)
    tops = hierarchy[parent_col].isna() | (hierarchy[parent_col].astype(str).str.strip() == "")
    parent = dict(zip(hierarchy[ID].astype(str), hierarchy[parent_col].astype(str).where(~tops, None)))
    for p in {p for p in parent.values() if p is not None}:
        parent.setdefault(str(p), None)
    nodes = sorted(parent)
    has_child = {str(p) for p in parent.values() if p is not None}
    leaves = [n for n in nodes if n not in has_child]
    index = {n: i for i, n in enumerate(nodes)}
    S = np.zeros((len(nodes), len(leaves)))
    for j, leaf in enumerate(leaves):
        node, seen = leaf, set()
        while node is not None:
            if node in seen:
                raise DataContractError(f"hierarchy: cycle through {short([node])}", field=parent_col, ids=[node])
            seen.add(node)
            S[index[node], j] = 1.0
            node = parent.get(node)
            node = str(node) if node is not None else None
    return S, nodes, leaves


def _shrunk_covariance(resid: np.ndarray) -> np.ndarray:
    """Schäfer–Strimmer shrinkage of a residual covariance towards its diagonal."""
    r = resid[~np.isnan(resid).any(axis=1)]
    n = len(r)
    if n < 3:
        return np.diag(np.nanvar(resid, axis=0) + 1e-9)
    cov = np.cov(r, rowvar=False)
    sd = np.sqrt(np.diag(cov)) + 1e-12
    corr = cov / np.outer(sd, sd)
    xs = (r - r.mean(0)) / sd
    w = np.einsum("ki,kj->kij", xs, xs)
    v = n / (n - 1) ** 3 * ((w - w.mean(0)) ** 2).sum(0)
    np.fill_diagonal(v, 0)
    off = corr - np.diag(np.diag(corr))
    lam = float(np.clip(v.sum() / max((off**2).sum(), 1e-12), 0, 1))
    shrunk = (1 - lam) * corr + lam * np.eye(len(sd))
    return shrunk * np.outer(sd, sd) + 1e-9 * np.eye(len(sd))


def reconcile(
    forecasts: pd.DataFrame,
    hierarchy: pd.DataFrame,
    *,
    method: str = "mint_shrink",
    residuals: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Make forecasts coherent with a hierarchy.

    Parameters
    ----------
    forecasts : long frame ``unique_id, ds`` and forecast columns (``<alias>`` and its
        ``<alias>-lo-80`` ... bounds) for every node of the hierarchy.
    hierarchy : ``unique_id, parent`` (parent empty at the top).
    method : 'bottom_up', 'ols' or 'mint_shrink'.
    residuals : for mint_shrink, in-sample one-step residuals as a long frame
        ``unique_id, ds, resid``; without them mint_shrink falls back to ols.
    """
    if method not in METHODS:
        raise DataContractError(f"method: use one of {METHODS}; got {method!r}", field="method")
    S, nodes, leaves = summing_matrix(hierarchy)
    have = set(forecasts[ID].astype(str))
    missing = [n for n in nodes if n not in have]
    if missing:
        raise DataContractError(f"forecasts: no forecast for hierarchy nodes {short(missing)}", field=ID, ids=missing)
    fc = forecasts[forecasts[ID].astype(str).isin(nodes)].copy()
    fc[ID] = fc[ID].astype(str)
    point_cols = [c for c in fc.columns if c not in (ID, DS) and not re.search(r"-(lo|hi)-\d+$", c)]
    if method == "bottom_up":
        P = np.zeros((len(leaves), len(nodes)))
        for j, leaf in enumerate(leaves):
            P[j, nodes.index(leaf)] = 1.0
    elif method == "mint_shrink" and residuals is not None:
        R = residuals.pivot_table(index=DS, columns=ID, values="resid").reindex(columns=nodes).to_numpy(float)
        W_inv = np.linalg.pinv(_shrunk_covariance(R))
        P = np.linalg.pinv(S.T @ W_inv @ S) @ S.T @ W_inv
    else:
        P = np.linalg.pinv(S.T @ S) @ S.T
    G = S @ P
    out = fc.copy()
    for col in point_cols:
        wide = fc.pivot(index=DS, columns=ID, values=col).reindex(columns=nodes)
        base = wide.to_numpy(float)
        coherent = base @ G.T
        adj = pd.DataFrame(coherent - base, index=wide.index, columns=nodes).stack().rename("adj").reset_index()
        adj.columns = [DS, ID, "adj"]
        merged = out[[ID, DS]].merge(adj, on=[ID, DS], how="left")["adj"].fillna(0.0).to_numpy()
        for c in [col] + [c for c in fc.columns if re.fullmatch(re.escape(col) + r"-(lo|hi)-\d+", c)]:
            out[c] = out[c].to_numpy(float) + merged
    return out.reset_index(drop=True)
