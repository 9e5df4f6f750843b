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
_LEVELS = [a[0] for a in _AMBITION]
_PROBS = [a[1] for a in _AMBITION]
_STEPS = {a[0]: a[2] for a in _AMBITION}


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
    setter = _TargetSetter(rng, meta, values, clean, sd, book)
    bunch = {(p["s"], p["year"]): p for p in plan if p["kind"] == "bunching"}
    corrected = _corrected(plan, values.shape)
    rows = []
    years = [y for y in sorted(set(year))[1:] if (year == y).sum() == 12]
    for y in years:
        prev = year == y - 1
        for s in target_ids:
            rows.append(setter.target(s, y, prev, corrected, bunch.get((s, y))))
    return pd.DataFrame(rows)


def _corrected(plan: list[dict], shape) -> np.ndarray:
    """The points whose data errors are corrected in the prior-year figures a department
    works from (missing, blank-as-zero, unit and copy-paste errors dropped); real changes
    and misreported values stay in."""
    corrected = np.zeros(shape, dtype=bool)
    for p in plan:
        if ANOMALY_CATEGORIES[p["kind"]] == "data_quality":
            corrected[p["s"], p["t0"] : p["t0"] + p["length"]] = True
    return corrected


def _baseline(agg: str, kind: str, v: np.ndarray, clean_prev: np.ndarray, n_prev) -> float:
    """The prior-year figure a target starts from: ``v`` are the corrected values (NaN where
    dropped), ``clean_prev`` the clean ones, used where nothing is left."""
    if agg == "sum":
        return float(np.nanmedian(v) * n_prev) if np.isfinite(v).any() else float(np.nansum(clean_prev))
    if agg == "mean":
        return float(np.nanmedian(v)) if np.isfinite(v).any() else float(clean_prev.mean())
    if kind == "ytd":
        return float(clean_prev[-1])
    last3 = v[np.isfinite(v)][-3:]
    return float(np.median(last3)) if len(last3) else float(clean_prev[-3:].mean())


class _TargetSetter:
    """Sets one series' target for one year (and injects bunching where it is planned)."""

    def __init__(self, rng, meta, values, clean, sd, book):
        self.rng, self.meta, self.values, self.clean, self.sd, self.book = rng, meta, values, clean, sd, book
        self.ids = meta[C.ID].to_numpy()
        self.direction = meta[C.DIRECTION].to_numpy()
        self.agg = meta[C.AGGREGATION].to_numpy()
        self.kind_of = meta["value_type"].to_numpy()
        self.dec = meta["decimals"].to_numpy()
        self.hi = meta["upper_bound"].to_numpy(dtype=float)

    def target(self, s: int, y: int, prev: np.ndarray, corrected: np.ndarray, bunching: dict | None) -> dict:
        v = np.where(corrected[s, prev], np.nan, self.values[s, prev])
        good = 1.0 if self.direction[s] == "higher" else -1.0
        baseline = _baseline(self.agg[s], self.kind_of[s], v, self.clean[s, prev], prev.sum())
        level = _LEVELS[int(self.rng.choice(len(_LEVELS), p=_PROBS))]
        lo_k, hi_k = _STEPS[level]
        step = self.rng.uniform(lo_k, hi_k) * _agg_sd(self.agg[s], self.sd[s])
        target = baseline + good * step
        if bunching is not None:
            # a target this district would miss: it reports values just past it instead
            window = self.clean[s, bunching["t0"] : bunching["t0"] + bunching["length"]]
            need = window.mean() + good * 1.5 * self.sd[s]
            target = max(target, need) if good > 0 else min(target, need)
            level = "stretch"
        target = self.rounded(s, target)
        if bunching is not None:
            self.inject_bunching(s, y, bunching, target, good)
        return self.row(s, y, target, baseline, level)

    def rounded(self, s: int, target: float) -> float:
        """Within the bounds, rounded as such targets are written."""
        if np.isfinite(self.hi[s]):
            target = min(target, self.hi[s] - 0.5)
        target = max(target, 0.0)
        d = int(self.dec[s]) if self.agg[s] != "sum" else 0
        return float(np.round(target, min(d, 1) if self.kind_of[s] != "count" else 0))

    def inject_bunching(self, s: int, y: int, p: dict, target: float, good: float) -> None:
        """The planned months reported just past the target."""
        t0, L, dec = p["t0"], p["length"], int(self.dec[s])
        step_unit = 10.0 ** -dec
        offset = np.abs(self.rng.uniform(0.02, 0.45, L)) * self.sd[s]
        offset = np.maximum(np.round(offset, dec), step_unit)
        vals = target + good * offset
        if np.isfinite(self.hi[s]):
            vals = np.minimum(vals, self.hi[s])
        self.values[s, t0 : t0 + L] = np.round(vals, dec)
        p["event_id"] = self.book.add(self.ids[s], "bunching", p["months"][0], p["months"][-1], p["months"], target,
                                      f"{L} months reported just {'above' if good > 0 else 'below'} the {y} target {target:g}")

    def row(self, s: int, y: int, target: float, baseline: float, level: str) -> dict:
        meta = self.meta
        return {
            # "<unique_id>@<year>": not vocabulary.default_target_id, which writes the deadline date
            "target_id": f"{self.ids[s]}@{y}",
            C.ID: self.ids[s],
            C.ORG_UNIT: meta[C.ORG_UNIT].iat[s],
            C.INDICATOR: meta[C.INDICATOR].iat[s],
            C.START: pd.Timestamp(year=y, month=1, day=1),
            C.DEADLINE: pd.Timestamp(year=y, month=12, day=31),
            C.TARGET: target,
            C.DIRECTION: self.direction[s],
            C.AGGREGATION: self.agg[s],
            "baseline": round(baseline, 3),
            "ambition": level,
            C.UNIT: meta[C.UNIT].iat[s],
        }
