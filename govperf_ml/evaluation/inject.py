"""A seeded, config-driven injector of labelled anomalies into real monthly series.

Real series have no labels; injecting known anomalies into them gives a benchmark whose
backgrounds are real (seasonality, trends, breaks, zeros) and whose answers are known.
:func:`inject` takes a long frame ``unique_id, ds, y``, the direction of each series
(``higher`` / ``lower`` / none) and an :class:`InjectionConfig`, and returns the injected
series, one label row per (unique_id, ds, kind), the events and the targets it invented.

======================  =====================================================================
kind                    what is done (k = 4–8 robust scales, in the bad direction if known)
======================  =====================================================================
spike                   one value k scales up (series whose bad direction is up, or unknown)
dip                     one value k scales down (bad direction down, or unknown)
level_shift             6–12 values shifted by k scales
units_error             2–4 values multiplied by 10, 0.1 or 100 (``units_factors``)
flat_line               3–6 values repeat the value before them
blank_as_zero           one value becomes 0
missing                 one period's row is removed (an ABSENT row, not a blank value)
bunching                a yearly target is set just out of reach, then the last 6 values of
                        the year land just past it (series with a direction only)
end_of_period_jump      the December value jumps k scales in the *good* direction
======================  =====================================================================

The robust scale of a series is ``1.4826 × MAD(y_t − y_{t−12}) / √2`` over the 36 values
before the event (the year-on-year noise; independent of any detector). Events of one
series never overlap and keep ``gap`` periods apart; none starts in the first
``min_history`` periods. Same seed, same data, same config → the same output.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np
import pandas as pd

from govperf_ml.contracts import DS, ID, Y, DataContractError, short

__all__ = ["KINDS", "InjectionConfig", "Injected", "inject"]

KINDS = ("spike", "dip", "level_shift", "units_error", "flat_line", "blank_as_zero", "missing", "bunching",
         "end_of_period_jump")
#: how many periods each kind lasts (low, high inclusive)
DURATION = {"level_shift": (6, 12), "units_error": (2, 4), "flat_line": (3, 6), "bunching": (6, 6)}
MAD_TO_SIGMA = 1.4826


@dataclass(frozen=True)
class InjectionConfig:
    """What to inject: ``events`` maps each kind to a number of events.

    Build one from a plain dict (a YAML/JSON file) with :meth:`from_dict`; an unknown kind
    or key is a :class:`DataContractError` that names it.
    """

    events: dict = field(default_factory=lambda: {k: 10 for k in KINDS})
    seed: int = 0
    magnitude: tuple = (4.0, 8.0)
    units_factors: tuple = (10.0, 0.1, 100.0)
    min_history: int = 36
    gap: int = 13

    @classmethod
    def from_dict(cls, config: dict) -> InjectionConfig:
        known = {f.name for f in fields(cls)}
        extra = sorted(set(config) - known)
        if extra:
            raise DataContractError(f"injection config: unknown key {short(extra)}; known: {sorted(known)}",
                                    field=extra[0], ids=extra)
        cfg = cls(**config)
        cfg.check()
        return cfg

    def check(self) -> None:
        bad = sorted(set(self.events) - set(KINDS))
        if bad:
            raise DataContractError(f"injection config: unknown anomaly kind {short(bad)}; known: {list(KINDS)}",
                                    field="events", ids=bad)
        lo, hi = self.magnitude
        if not 0 < lo <= hi or any(int(n) < 0 for n in self.events.values()):
            raise DataContractError("injection config: magnitude must be 0 < low <= high and counts >= 0",
                                    field="magnitude")


@dataclass
class Injected:
    """The injector's output: ``series`` (absent rows removed), ``labels`` (one row per
    unique_id, ds, kind, with event_id), ``events`` and invented ``targets``."""

    series: pd.DataFrame
    labels: pd.DataFrame
    events: pd.DataFrame
    targets: pd.DataFrame


class _Series:
    """One series' values and what has been planned in it."""

    def __init__(self, uid: str, ds: np.ndarray, y: np.ndarray, direction):
        self.uid, self.ds, self.y = uid, ds, y.astype(float)
        self.direction = direction if direction in ("higher", "lower") else None
        self.busy = np.zeros(len(y), dtype=bool)
        self.drop = np.zeros(len(y), dtype=bool)
        self.nonneg = bool(np.nanmin(y) >= 0) if len(y) else True

    def scale(self, t: int) -> float:
        hist = self.y[max(0, t - 36):t]
        d = hist[12:] - hist[:-12]
        d = d[np.isfinite(d)]
        if len(d) < 6:
            return 0.0
        return float(MAD_TO_SIGMA * np.median(np.abs(d - np.median(d))) / np.sqrt(2))

    def bad_sign(self, rng) -> int:
        """+1 when a rise is bad (lower-is-better), -1 when a fall is; random if unknown."""
        if self.direction is None:
            return int(rng.choice([-1, 1]))
        return 1 if self.direction == "lower" else -1


def _apply(kind: str, s: _Series, t: int, n: int, k: float, sc: float, rng, cfg) -> tuple | None:
    """Change ``s`` for one event at ``t..t+n-1``; returns (labelled rows, magnitude, target) or
    None when this series/place does not suit the kind."""
    y, sl = s.y, slice(t, t + n)
    seg = y[sl].copy()
    if not np.isfinite(seg).all() or np.nanmedian(np.abs(y[max(0, t - 12):t])) <= 4 * sc:
        return None
    good = {"higher": 1, "lower": -1}.get(s.direction)
    if kind in ("spike", "dip"):
        sign = 1 if kind == "spike" else -1
        if s.direction is not None and s.bad_sign(rng) != sign:
            return None
        new = seg + sign * k * sc
    elif kind == "level_shift":
        new = seg + s.bad_sign(rng) * k * sc
    elif kind == "units_error":
        factor = float(rng.choice(cfg.units_factors))
        new, k = seg * factor, factor
    elif kind == "flat_line":
        new = np.full(n, y[t - 1])
        if np.max(np.abs(seg - y[t - 1])) < sc:
            return None
    elif kind == "blank_as_zero":
        new = np.zeros(n)
    elif kind == "missing":
        s.drop[sl] = True
        return list(range(t, t + n)), 0.0, None
    elif kind == "end_of_period_jump":
        if good is None or pd.Timestamp(s.ds[t]).month != 12:
            return None
        new = seg + good * k * sc
    else:  # bunching
        return _bunching(s, t, n, good, rng)
    if s.nonneg and (new < 0).any():
        return None
    y[sl] = new
    return list(range(t, t + n)), float(k), None


def _bunching(s: _Series, t: int, n: int, good, rng) -> tuple | None:
    """The last ``n`` months of a calendar year just past a target set out of reach."""
    ts = pd.Timestamp(s.ds[t])
    if good is None or ts.month != 13 - n or t + n > len(s.y):
        return None
    d = np.diff(s.y[max(0, t - 36):t])
    sigma = MAD_TO_SIGMA * np.median(np.abs(d - np.median(d))) / np.sqrt(2) if len(d) > 6 else 0.0
    if not sigma > 0:
        return None
    target = float(np.median(s.y[t:t + n]) + good * 1.5 * sigma)
    s.y[t:t + n] = target + good * rng.uniform(0.05, 0.45, n) * sigma
    year = ts.year
    row = {ID: s.uid, "target": target, "start": pd.Timestamp(year, 1, 1), "deadline": pd.Timestamp(year, 12, 31),
           "direction": s.direction, "aggregation": "last"}
    return list(range(t, t + n)), 1.5, row


def _place(s: _Series, kind: str, rng, cfg) -> tuple[int, int] | None:
    lo, hi = DURATION.get(kind, (1, 1))
    n = int(rng.integers(lo, hi + 1))
    first, last = cfg.min_history, len(s.y) - n - 1
    if last < first:
        return None
    t = int(rng.integers(first, last + 1))
    if kind == "end_of_period_jump":
        t = t - (pd.Timestamp(s.ds[t]).month % 12)  # the December at or before t
    elif kind == "bunching":
        t = t - (pd.Timestamp(s.ds[t]).month - (13 - n)) % 12
    if t < first or t + n > len(s.y) - 1:
        return None
    if s.busy[max(0, t - cfg.gap):t + n + cfg.gap].any():
        return None
    return t, n


def inject(df: pd.DataFrame, config: InjectionConfig | dict | None = None, *, directions: dict | None = None,
           max_tries: int = 200) -> Injected:
    """Inject the events of ``config`` into ``df`` (``unique_id, ds, y``, sorted or not)."""
    cfg = config if isinstance(config, InjectionConfig) else InjectionConfig.from_dict(config or {})
    cfg.check()
    rng = np.random.default_rng(cfg.seed)
    data = df[[ID, DS, Y]].assign(**{DS: pd.to_datetime(df[DS])}).sort_values([ID, DS], kind="stable")
    series = [_Series(str(uid), g[DS].to_numpy(), g[Y].to_numpy(dtype=float), (directions or {}).get(uid))
              for uid, g in data.groupby(ID, sort=True)]
    labels, events, targets = [], [], []
    for kind in KINDS:
        for _ in range(int(cfg.events.get(kind, 0))):
            for _try in range(max_tries):
                s = series[int(rng.integers(len(series)))]
                where = _place(s, kind, rng, cfg)
                if where is None:
                    continue
                t, n = where
                sc = s.scale(t)
                done = _apply(kind, s, t, n, float(rng.uniform(*cfg.magnitude)), sc, rng, cfg) if sc > 0 else None
                if done is None:
                    continue
                rows, magnitude, target = done
                s.busy[t:t + n] = True
                event_id = f"EV{len(events) + 1:04d}"
                events.append({"event_id": event_id, ID: s.uid, "kind": kind, "start": s.ds[t], "end": s.ds[t + n - 1],
                               "n_labelled": len(rows), "magnitude": magnitude})
                labels += [{ID: s.uid, DS: s.ds[i], "kind": kind, "event_id": event_id} for i in rows]
                if target is not None:
                    targets.append(target | {"target_id": f"{s.uid}@{event_id}"})
                break
    out = pd.concat([pd.DataFrame({ID: s.uid, DS: s.ds[~s.drop], Y: s.y[~s.drop]}) for s in series],
                    ignore_index=True)
    return Injected(out, pd.DataFrame(labels, columns=[ID, DS, "kind", "event_id"]),
                    pd.DataFrame(events, columns=["event_id", ID, "kind", "start", "end", "n_labelled", "magnitude"]),
                    pd.DataFrame(targets, columns=[ID, "target", "start", "deadline", "direction", "aggregation",
                                                   "target_id"]))
