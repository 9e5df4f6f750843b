"""Yearly targets (and bunching, which sits just above them)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from govperf_ml import contracts as C
from govperf_ml.sample_city.spec import ANOMALY_CATEGORIES


def choose_target_series(rng, meta: pd.DataFrame, n_target: int = 100) -> np.ndarray:
    """About 100 series with yearly targets, spread over all indicators and districts."""
    per_ind = meta.groupby(C.INDICATOR, sort=False).indices
    chosen: list[int] = []
    k = max(1, n_target // len(per_ind))
    for ind in per_ind:
        idx = per_ind[ind]
        chosen.extend(rng.choice(idx, size=min(k, len(idx)), replace=False).tolist())
    rest = np.setdiff1d(np.arange(len(meta)), chosen)
    extra = n_target - len(chosen)
    if extra > 0 and len(rest):
        chosen.extend(rng.choice(rest, size=min(extra, len(rest)), replace=False).tolist())
    return np.array(sorted(chosen))


_AMBITION = (("easy", 0.30, (-1.8, -0.4)), ("moderate", 0.45, (0.0, 1.2)), ("stretch", 0.25, (1.4, 3.0)))


def _agg_sd(aggregation: str, sd: float) -> float:
    """Rough spread of a yearly aggregate, in the units of the target."""
    if aggregation == "sum":
        return sd * np.sqrt(12.0) * 1.4
    if aggregation == "mean":
        return sd * 0.55
    return sd


def make_targets(rng, meta, values, clean, sd, months, target_ids, plan, book) -> pd.DataFrame:
    """Yearly targets set each 1 January from the previous year's figures; bunching injected here."""
    year = months.year.to_numpy()
    ids = meta[C.ID].to_numpy()
    direction = meta[C.DIRECTION].to_numpy()
    agg = meta[C.AGGREGATION].to_numpy()
    kind_of = meta["value_type"].to_numpy()
    dec = meta["decimals"].to_numpy()
    hi = meta["upper_bound"].to_numpy(dtype=float)
    bunch = {(p["s"], p["year"]): p for p in plan if p["kind"] == "bunching"}
    names = [a[0] for a in _AMBITION]
    probs = [a[1] for a in _AMBITION]
    # the prior-year figures a department works from have their data errors corrected
    # (missing, blank-as-zero, unit and copy-paste errors dropped); real changes and
    # misreported values stay in
    corrected = np.zeros(values.shape, dtype=bool)
    for p in plan:
        if ANOMALY_CATEGORIES[p["kind"]] == "data_quality":
            corrected[p["s"], p["t0"] : p["t0"] + p["length"]] = True
    rows = []
    years = [y for y in sorted(set(year))[1:] if (year == y).sum() == 12]
    for y in years:
        prev = year == y - 1
        for s in target_ids:
            v = np.where(corrected[s, prev], np.nan, values[s, prev])
            good = 1.0 if direction[s] == "higher" else -1.0
            if agg[s] == "sum":
                baseline = float(np.nanmedian(v) * prev.sum()) if np.isfinite(v).any() else float(np.nansum(clean[s, prev]))
            elif agg[s] == "mean":
                baseline = float(np.nanmedian(v)) if np.isfinite(v).any() else float(clean[s, prev].mean())
            elif kind_of[s] == "ytd":
                baseline = float(clean[s, prev][-1])
            else:
                last3 = v[np.isfinite(v)][-3:]
                baseline = float(np.median(last3)) if len(last3) else float(clean[s, prev][-3:].mean())
            level = names[int(rng.choice(len(names), p=probs))]
            lo_k, hi_k = dict((a[0], a[2]) for a in _AMBITION)[level]
            step = rng.uniform(lo_k, hi_k) * _agg_sd(agg[s], sd[s])
            target = baseline + good * step
            p = bunch.get((s, y))
            if p is not None:
                # a target this district would miss: it reports values just past it instead
                window = clean[s, p["t0"] : p["t0"] + p["length"]]
                need = window.mean() + good * 1.5 * sd[s]
                target = max(target, need) if good > 0 else min(target, need)
                level = "stretch"
            if np.isfinite(hi[s]):
                target = min(target, hi[s] - 0.5)
            target = max(target, 0.0)
            d = int(dec[s]) if agg[s] != "sum" else 0
            target = float(np.round(target, min(d, 1) if kind_of[s] != "count" else 0))
            if p is not None:
                t0, L = p["t0"], p["length"]
                step_unit = 10.0 ** -int(dec[s])
                offset = np.abs(rng.uniform(0.02, 0.45, L)) * sd[s]
                offset = np.maximum(np.round(offset, int(dec[s])), step_unit)
                vals = target + good * offset
                if np.isfinite(hi[s]):
                    vals = np.minimum(vals, hi[s])
                values[s, t0 : t0 + L] = np.round(vals, int(dec[s]))
                p["event_id"] = book.add(ids[s], "bunching", p["months"][0], p["months"][-1], p["months"], target,
                                         f"{L} months reported just {'above' if good > 0 else 'below'} the {y} target {target:g}")
            rows.append(
                {
                    "target_id": f"{ids[s]}@{y}",
                    C.ID: ids[s],
                    C.ORG_UNIT: meta[C.ORG_UNIT].iat[s],
                    C.INDICATOR: meta[C.INDICATOR].iat[s],
                    C.START: pd.Timestamp(year=y, month=1, day=1),
                    C.DEADLINE: pd.Timestamp(year=y, month=12, day=31),
                    C.TARGET: target,
                    C.DIRECTION: direction[s],
                    C.AGGREGATION: agg[s],
                    "baseline": round(baseline, 3),
                    "ambition": level,
                    C.UNIT: meta[C.UNIT].iat[s],
                }
            )
    return pd.DataFrame(rows)
