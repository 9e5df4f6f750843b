"""Hierarchical forecast bench: base against reconciled forecasts at every level of a panel
whose series carry key columns (PBS: ``Concession, Type, ATC1, ATC2``).

``--data`` is a folder in the ``monthly_public`` layout (or one CSV file): the first file
with every key column is read, its target is ``Scripts`` for PBS (else ``y``). The last
``h`` = 12 months of every series are held out. Every node's history is the sum of its
bottom series (:func:`~govperf_ml.forecasting.hierarchy.aggregate`, the API's path), every
node is forecast once by statsforecast's AutoETS (season 12), and the base forecasts are
reconciled bottom-up, by OLS and by MinT-shrink (W from seasonal-naive in-sample residuals,
as the API does). Per level: MASE (scaled by the in-sample seasonal-naive MAE, m = 12) and
sMAPE averaged over the level's series, and the largest |node - sum of its bottom series|.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd

from govperf_ml.bench import BenchResult
from govperf_ml.contracts import DS, ID, Y, DataContractError
from govperf_ml.evaluation.metrics import mase_scale, series_smape
from govperf_ml.forecasting.hierarchy import aggregate, coherence_by_node, from_keys, naive_residuals
from govperf_ml.forecasting.reconcile import METHODS, reconcile
from govperf_ml.forecasting.stats import StatsForecaster

H, M = 12, 12
TARGETS = ("Scripts", "y")


def load_panel(data: Path, keys: list[str]) -> tuple[pd.DataFrame, str]:
    """The first CSV under ``data`` (or ``data`` itself) with every key column; its target as ``y``."""
    files = [data] if data.is_file() else sorted(p for p in data.iterdir() if ".csv" in p.name)
    for path in files:
        head = pd.read_csv(path, nrows=1)
        target = next((t for t in TARGETS if t in head.columns), None)
        if target and all(k in head.columns for k in keys):
            frame = pd.read_csv(path, parse_dates=[DS])
            return frame.rename(columns={target: Y} if target != Y else {}), path.name
    raise DataContractError(f"--data {data}: no CSV file with columns {keys} and one of {TARGETS}", field="data")


def _scores(fc: pd.DataFrame, actual: pd.DataFrame, scale: pd.Series, col: str) -> pd.DataFrame:
    """Per node: MASE and sMAPE of ``col`` over the holdout."""
    both = actual.merge(fc[[ID, DS, col]], on=[ID, DS], how="left")
    mae = (both[Y] - both[col]).abs().groupby(both[ID]).mean()
    out = pd.DataFrame({"MASE": mae / scale.reindex(mae.index)})
    out["sMAPE"] = series_smape(both, [col])[col].reindex(out.index)
    return out.replace([np.inf, -np.inf], np.nan)


def run(data: Path, *, hierarchy: str, quick: bool = False) -> BenchResult:
    keys = [k.strip() for k in hierarchy.split(",") if k.strip()]
    panel, name = load_panel(Path(data), keys)
    if quick:  # the series under the first value of the first key
        panel = panel[panel[keys[0]] == sorted(panel[keys[0]].astype(str).unique())[0]]
    tree = from_keys(panel, keys)
    cut = panel[DS].max() - pd.DateOffset(months=H)
    nodes = aggregate(panel, tree)
    train, actual = nodes[nodes[DS] <= cut], nodes[nodes[DS] > cut]
    t0 = time.perf_counter()
    est = StatsForecaster(model="AutoETS", season_length=M, n_jobs=2, alias="AutoETS")
    base = est.fit(train[[ID, DS, Y]], freq="MS").forecast(train[[ID, DS, Y]], h=H, level=(80,), freq="MS")
    seconds = {"base": time.perf_counter() - t0}
    forecasts = {"base": base}
    resid = naive_residuals(train, M)
    for method in METHODS:
        t0 = time.perf_counter()
        forecasts[method] = reconcile(base, tree.links[[ID, "parent"]], method=method,
                                      residuals=resid if method == "mint_shrink" else None)
        seconds[method] = time.perf_counter() - t0
    return _report(tree, train, actual, forecasts, seconds, name, keys)


def _report(tree, train, actual, forecasts, seconds, name, keys) -> BenchResult:
    level_of = tree.level_of()
    order = list(dict.fromkeys(tree.links["level"]))
    scale = mase_scale(train, M)
    rows = []
    for method, fc in forecasts.items():
        per = _scores(fc, actual, scale, "AutoETS")
        per["coherence"] = coherence_by_node(fc, tree, "AutoETS").reindex(per.index)
        per["level"] = per.index.map(level_of)
        for lv, g in [*per.groupby("level", sort=False), ("all", per)]:
            rows.append({"level": lv, "method": method, "series": len(g), "MASE": g["MASE"].mean(),
                         "MASE_median": g["MASE"].median(),
                         "sMAPE": g["sMAPE"].mean(), "max_coherence_error": g["coherence"].max()})
    table = pd.DataFrame(rows)
    table["order"] = table["level"].map({lv: i for i, lv in enumerate([*order, "all"])})
    table = table.sort_values(["order", "method"], key=lambda s: s if s.name == "order" else s.map(
        {m: i for i, m in enumerate(forecasts)})).drop(columns="order").reset_index(drop=True)
    total = table[table["level"] == "all"].set_index("method")
    summary = {"task": "forecast-hierarchy", "data": name, "levels": len(order), "series": int(actual[ID].nunique()),
               "bottom": len(tree.bottom), "h": H,
               **{f"mase_{m}": round(float(total.at[m, "MASE"]), 4) for m in forecasts},
               **{f"mase_median_{m}": round(float(total.at[m, "MASE_median"]), 4) for m in forecasts},
               **{f"coherence_{m}": float(f"{total.at[m, 'max_coherence_error']:.3g}") for m in forecasts}}
    notes = [
        f"hierarchy {' / '.join(keys)}: {len(order)} levels, {actual[ID].nunique()} series; holdout = the last {H} "
        f"months; base: AutoETS per node ({seconds['base']:.1f} s); reconciliation seconds: "
        + ", ".join(f"{m} {seconds[m]:.2f}" for m in METHODS),
        "MASE averages series with a non-zero seasonal-naive scale; a few bottom series that fell to 0 have a tiny "
        "scale, so any share of an aggregate's adjustment inflates their MASE (hence the median too); reconciled "
        "forecasts are not clipped at 0. MinT-shrink's W comes from seasonal-naive in-sample residuals (the "
        "forecaster exposes none of its own)",
    ]
    return BenchResult([(f"{name}: base vs reconciled forecasts per level", table)], summary, notes)
