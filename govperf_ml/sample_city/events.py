"""Labelled anomaly events in the monthly KPIs: the book that records them, where they
go (planning) and how each kind changes the values (injection). Bunching is injected with
the targets (see :mod:`govperf_ml.sample_city.targets`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from govperf_ml import contracts as C
from govperf_ml.sample_city.spec import ANOMALY_CATEGORIES, DISTRICTS, N_EVENTS, SPEC


class EventBook:
    """Collects injected events and their labelled points."""

    def __init__(self):
        self.events: list[dict] = []
        self.labels: list[dict] = []

    def add(self, uid: str, kind: str, start, end, labelled, magnitude: float, note: str) -> str:
        event_id = f"EV{len(self.events) + 1:04d}"
        category = ANOMALY_CATEGORIES[kind]
        labelled = list(labelled)
        self.events.append(
            {
                "event_id": event_id,
                C.ID: uid,
                "kind": kind,
                "category": category,
                "start": pd.Timestamp(start),
                "end": pd.Timestamp(end),
                "n_labelled": len(labelled),
                "magnitude": float(magnitude),
                "note": note,
            }
        )
        for ds in labelled:
            self.labels.append({C.ID: uid, C.DS: pd.Timestamp(ds), "kind": kind, "category": category, "event_id": event_id})
        return event_id

    def frames(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        anomalies = pd.DataFrame(self.labels, columns=[C.ID, C.DS, "kind", "category", "event_id"])
        anomalies[C.DS] = anomalies[C.DS].astype("datetime64[ns]")
        anomalies = anomalies.sort_values([C.ID, C.DS], kind="stable").reset_index(drop=True)
        events = pd.DataFrame(
            self.events,
            columns=["event_id", C.ID, "kind", "category", "start", "end", "n_labelled", "magnitude", "note"],
        )
        return anomalies, events


class _Planner:
    """Places events of one kind at a time: never overlapping, one month of space around each."""

    def __init__(self, rng, meta: pd.DataFrame, clean: np.ndarray, sd: np.ndarray):
        self.rng, self.clean, self.sd = rng, clean, sd
        self.direction = meta[C.DIRECTION].to_numpy()
        self.hi = meta["upper_bound"].to_numpy(dtype=float)
        n_s, self.n_t = clean.shape
        self.busy = np.zeros(clean.shape, dtype=bool)
        self.plan: list[dict] = []
        # the full city (360 series) gets N_EVENTS; a smaller one proportionally fewer
        self.share = min(1.0, n_s / (len(DISTRICTS) * len(SPEC)))

    def free(self, s: int, a: int, b: int) -> bool:
        return a >= 0 and b <= self.n_t and not self.busy[s, max(0, a - 1) : min(self.n_t, b + 1)].any()

    def fits(self, kind: str, s: int, t0: int) -> bool:
        """The kind's own conditions: one level shift per series, room for a year-end jump."""
        if kind == "level_shift" and any(p["s"] == s and p["kind"] == "level_shift" for p in self.plan):
            return False
        if kind == "end_of_period_jump":
            hi = self.hi[s]
            room = (hi - self.clean[s, t0]) if self.direction[s] == "higher" and np.isfinite(hi) else np.inf
            if room < 4.0 * self.sd[s]:
                return False
        return True

    def take(self, kind, candidates, length_fn, start_fn, tries=4000) -> None:
        made = 0
        wanted = max(1, int(round(N_EVENTS[kind] * self.share)))
        for _ in range(tries):
            if made >= wanted:
                break
            s = int(self.rng.choice(candidates))
            length = int(length_fn())
            t0 = int(start_fn(length))
            if t0 < 0 or not self.free(s, t0, t0 + length) or not self.fits(kind, s, t0):
                continue
            self.busy[s, t0 : t0 + length] = True
            self.plan.append({"kind": kind, "s": s, "t0": t0, "length": length})
            made += 1
        if made < wanted:  # pragma: no cover - the city is far from full
            raise RuntimeError(f"could not place {wanted} {kind} events")


def plan_events(rng, meta, clean, sd, months, target_ids) -> list[dict]:
    """Decide where each event goes (non-overlapping, one month of space around each)."""
    n_s, n_t = clean.shape
    kind_of = meta["value_type"].to_numpy()
    direction = meta[C.DIRECTION].to_numpy()
    unit = meta[C.UNIT].to_numpy()
    year = months.year.to_numpy()
    month = months.month.to_numpy()
    warmup = min(12, n_t // 3)
    planner = _Planner(rng, meta, clean, sd)
    take = planner.take

    all_s = np.arange(n_s)
    not_ytd = all_s[kind_of != "ytd"]
    higher = not_ytd[direction[not_ytd] == "higher"]
    lower = not_ytd[direction[not_ytd] == "lower"]
    # bunching: within one target year, a target series that is not a count
    bunch_cands = np.array([s for s in target_ids if kind_of[s] in ("rate", "level")])
    years_ok = [y for y in sorted(set(year))[1:] if (year == y).sum() == 12]

    def bunch_start(length):
        y = years_ok[int(rng.integers(len(years_ok)))]
        dec = int(np.flatnonzero((year == y) & (month == 12))[0])
        return dec - length + 1

    take("bunching", bunch_cands, lambda: rng.integers(8, 13), bunch_start)
    take("level_shift", not_ytd, lambda: 2, lambda L: rng.integers(warmup, n_t - 6))
    # raw counts scale with population, so districts are compared on rates and levels only
    not_count = not_ytd[kind_of[not_ytd] != "count"]
    take("peer_outlier", not_count, lambda: rng.integers(5, 8), lambda L: rng.integers(warmup, n_t - L))
    pct_or_other = np.array([s for s in all_s if unit[s] in ("%", "points", "per 10k residents", "yuan")])
    take("scale_change", pct_or_other, lambda: rng.integers(2, 7), lambda L: rng.integers(warmup, n_t - L))
    take("flat_line", all_s, lambda: rng.integers(4, 8), lambda L: rng.integers(warmup, n_t - L))
    decembers = np.flatnonzero(month == 12)
    take("end_of_period_jump", not_ytd, lambda: 1, lambda L: decembers[int(rng.integers(len(decembers)))])
    take("missing", all_s, lambda: rng.choice([1, 1, 1, 2, 3]), lambda L: rng.integers(3, n_t - L))
    take("spike", lower, lambda: 1, lambda L: rng.integers(warmup, n_t))
    take("dip", higher, lambda: 1, lambda L: rng.integers(warmup, n_t))
    take("blank_as_zero", all_s, lambda: 1, lambda L: rng.integers(warmup, n_t))
    plan = planner.plan
    for p in plan:
        p["months"] = months[p["t0"] : p["t0"] + p["length"]]
        p["year"] = int(year[p["t0"] + p["length"] - 1])
    return plan


# persisting changes first, so later events sit on the shifted level
_INJECTION_ORDER = (
    "level_shift", "peer_outlier", "spike", "dip", "end_of_period_jump",
    "flat_line", "scale_change", "blank_as_zero", "missing",
)


def apply_events(rng, plan, values, clean, meta, sd, book) -> None:
    """Inject every planned event except bunching (which needs the year's target)."""
    injector = _Injector(rng, values, clean, meta, sd, book)
    for kind in _INJECTION_ORDER:
        inject = injector.by_kind[kind]
        for p in (q for q in plan if q["kind"] == kind):
            p["event_id"] = inject(p)


class _Injector:
    """Changes ``values`` in place for one planned event at a time and records it in the book.

    Each injection returns the event id; ``bad`` is the sign of a change for the worse.
    """

    def __init__(self, rng, values, clean, meta, sd, book):
        self.rng, self.values, self.clean, self.sd, self.book = rng, values, clean, sd, book
        self.ids = meta[C.ID].to_numpy()
        self.indicator = meta[C.INDICATOR].to_numpy()
        self.group = meta["peer_group"].to_numpy()
        self.direction = meta[C.DIRECTION].to_numpy()
        self.unit = meta[C.UNIT].to_numpy()
        self.lo = meta["lower_bound"].to_numpy(dtype=float)
        self.hi = meta["upper_bound"].to_numpy(dtype=float)
        self.dec = meta["decimals"].to_numpy()
        self.by_kind = {
            "level_shift": self.level_shift,
            "peer_outlier": self.peer_outlier,
            "spike": self.spike_or_dip,
            "dip": self.spike_or_dip,
            "end_of_period_jump": self.end_of_period_jump,
            "flat_line": self.flat_line,
            "scale_change": self.scale_change,
            "blank_as_zero": self.blank_as_zero,
            "missing": self.missing,
        }

    # -- bounds ---------------------------------------------------------------------
    def limits(self, s: int) -> tuple[float, float]:
        a = self.lo[s] if np.isfinite(self.lo[s]) else -np.inf
        b = self.hi[s] if np.isfinite(self.hi[s]) else np.inf
        return a, b

    def move(self, s, x, delta):
        """x + delta, with delta limited to 60% of the room to the lower bound and 80%
        of the room to the upper bound (a dip never reaches 0, a rate never 100)."""
        x = np.asarray(x, dtype=float)
        delta = np.broadcast_to(np.asarray(delta, dtype=float), x.shape)
        a, b = self.limits(s)
        delta = np.where(delta < 0, np.maximum(delta, -0.6 * (x - a)), np.minimum(delta, 0.8 * (b - x)))
        return np.round(np.clip(x + delta, a, b), int(self.dec[s]))

    def bad(self, s: int) -> float:
        return -1.0 if self.direction[s] == "higher" else 1.0

    def add(self, p: dict, end, labelled, magnitude, note: str) -> str:
        return self.book.add(self.ids[p["s"]], p["kind"], p["months"][0], end, labelled, magnitude, note)

    # -- one method per kind ------------------------------------------------------------
    def level_shift(self, p) -> str:
        s, t0, ms = p["s"], p["t0"], p["months"]
        k = self.rng.uniform(4.0, 7.0)
        delta = self.bad(s) * k * self.sd[s]
        self.values[s, t0:] = self.move(s, self.values[s, t0:], delta)
        end = ms[0] + pd.offsets.MonthBegin(self.values.shape[1] - t0 - 1)
        return self.add(p, end, ms[:2], delta, f"persisting shift of {k:.1f} sd in the bad direction; first 2 points labelled")

    def peer_outlier(self, p) -> str:
        """Drift to well beyond the peer group (same indicator, same peer group): k peer
        spreads past the group's median, reached over 3 months."""
        s, t0, L, ms = p["s"], p["t0"], p["length"], p["months"]
        k = self.rng.uniform(4.0, 6.0)
        window = slice(t0, t0 + L)
        gap = self.peer_gap(s, window, k)
        ramp = np.minimum(1.0, (np.arange(L) + 1) / 3.0)
        self.values[s, window] = self.move(s, self.values[s, window], gap * ramp)
        return self.add(p, ms[-1], ms[ramp >= 0.66], gap,
                        f"drifts to {k:.1f} peer spreads past its peer group's median over 3 months, holds, then returns; points at >= 2/3 of the gap labelled")

    def peer_gap(self, s: int, window: slice, k: float) -> float:
        """How far series ``s`` moves: k peer spreads past the peers' median, at least 4 sd."""
        n_s, clean, bad = len(self.ids), self.clean, self.bad(s)
        same = (self.indicator == self.indicator[s]) & (np.arange(n_s) != s)
        peers = np.flatnonzero(same & (self.group == self.group[s]))
        if len(peers) == 0:
            peers = np.flatnonzero(same)
        if len(peers):
            peer_mid = np.median(clean[peers, window], axis=0).mean()
            # the peers' spread: their level differences and their noise, pooled
            spread = max(self.sd[s], float(np.std(clean[peers, window], ddof=1)) if clean[peers, window].size > 1 else 0.0)
        else:
            peer_mid, spread = clean[s, window].mean(), self.sd[s]
        gap = peer_mid + bad * k * spread - clean[s, window].mean()
        return bad * max(bad * gap, 4.0 * self.sd[s])

    def spike_or_dip(self, p) -> str:
        s, t0, ms = p["s"], p["t0"], p["months"]
        k = self.rng.uniform(5.0, 9.0)
        bad = self.bad(s)
        delta = bad * k * self.sd[s]
        self.values[s, t0] = self.move(s, self.values[s, t0], delta)
        return self.add(p, ms[0], ms, delta,
                        f"one-month {'rise' if bad > 0 else 'drop'} of {k:.1f} sd in a {self.direction[s]}-is-better indicator")

    def end_of_period_jump(self, p) -> str:
        s, t0, ms = p["s"], p["t0"], p["months"]
        k = self.rng.uniform(4.0, 7.0)
        delta = -self.bad(s) * k * self.sd[s]
        self.values[s, t0] = self.move(s, self.values[s, t0], delta)
        return self.add(p, ms[0], ms, delta, f"December improves by {k:.1f} sd before the year-end assessment")

    def flat_line(self, p) -> str:
        s, t0, L, ms = p["s"], p["t0"], p["length"], p["months"]
        self.values[s, t0 : t0 + L] = self.values[s, t0 - 1]
        return self.add(p, ms[-1], ms, 0.0, f"the value of the previous month copied into {L} months")

    def scale_change(self, p) -> str:
        s, t0, L, ms = p["s"], p["t0"], p["length"], p["months"]
        factor = 0.01 if self.unit[s] in ("%", "points") else 100.0
        self.values[s, t0 : t0 + L] = np.round(self.values[s, t0 : t0 + L] * factor, int(self.dec[s]) + 2)
        what = "a fraction instead of a percent" if factor < 1 else "a wrong unit"
        return self.add(p, ms[-1], ms, factor, f"reported x{factor:g} for {L} months ({what}), then corrected")

    def blank_as_zero(self, p) -> str:
        self.values[p["s"], p["t0"]] = 0.0
        return self.add(p, p["months"][0], p["months"], 0.0, "a blank submission stored as 0")

    def missing(self, p) -> str:
        s, t0, L, ms = p["s"], p["t0"], p["length"], p["months"]
        self.values[s, t0 : t0 + L] = np.nan
        return self.add(p, ms[-1], ms, np.nan, f"no submission for {L} month(s)")
