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


def plan_events(rng, meta, clean, sd, months, target_ids) -> list[dict]:
    """Decide where each event goes (non-overlapping, one month of space around each)."""
    n_s, n_t = clean.shape
    busy = np.zeros((n_s, n_t), dtype=bool)
    kind_of = meta["value_type"].to_numpy()
    direction = meta[C.DIRECTION].to_numpy()
    unit = meta[C.UNIT].to_numpy()
    hi = meta["upper_bound"].to_numpy(dtype=float)
    year = months.year.to_numpy()
    month = months.month.to_numpy()
    target_years = sorted(set(year))[1:]
    plan: list[dict] = []
    warmup = min(12, n_t // 3)

    def free(s, a, b):
        return a >= 0 and b <= n_t and not busy[s, max(0, a - 1) : min(n_t, b + 1)].any()

    # the full city (360 series) gets N_EVENTS; a smaller one proportionally fewer
    share = min(1.0, n_s / (len(DISTRICTS) * len(SPEC)))

    def take(kind, candidates, length_fn, start_fn, tries=4000):
        made = 0
        wanted = max(1, int(round(N_EVENTS[kind] * share)))
        for _ in range(tries):
            if made >= wanted:
                break
            s = int(rng.choice(candidates))
            length = int(length_fn())
            t0 = int(start_fn(length))
            if t0 < 0 or not free(s, t0, t0 + length):
                continue
            if kind == "level_shift" and any(p["s"] == s and p["kind"] == "level_shift" for p in plan):
                continue
            if kind == "end_of_period_jump":
                room = (hi[s] - clean[s, t0]) if direction[s] == "higher" and np.isfinite(hi[s]) else np.inf
                if room < 4.0 * sd[s]:
                    continue
            busy[s, t0 : t0 + length] = True
            plan.append({"kind": kind, "s": s, "t0": t0, "length": length})
            made += 1
        if made < wanted:  # pragma: no cover - the city is far from full
            raise RuntimeError(f"could not place {wanted} {kind} events")

    all_s = np.arange(n_s)
    not_ytd = all_s[kind_of != "ytd"]
    higher = not_ytd[direction[not_ytd] == "higher"]
    lower = not_ytd[direction[not_ytd] == "lower"]
    # bunching: within one target year, a target series that is not a count
    bunch_cands = np.array([s for s in target_ids if kind_of[s] in ("rate", "level")])
    years_ok = [y for y in target_years if (year == y).sum() == 12]

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
    for p in plan:
        p["months"] = months[p["t0"] : p["t0"] + p["length"]]
        p["year"] = int(year[p["t0"] + p["length"] - 1])
    return plan


def apply_events(rng, plan, values, clean, meta, sd, book) -> None:
    """Inject every planned event except bunching (which needs the year's target)."""
    ids = meta[C.ID].to_numpy()
    indicator = meta[C.INDICATOR].to_numpy()
    group = meta["peer_group"].to_numpy()
    direction = meta[C.DIRECTION].to_numpy()
    unit = meta[C.UNIT].to_numpy()
    lo = meta["lower_bound"].to_numpy(dtype=float)
    hi = meta["upper_bound"].to_numpy(dtype=float)
    dec = meta["decimals"].to_numpy()
    n_t = values.shape[1]

    def bound(s, x):
        a = lo[s] if np.isfinite(lo[s]) else -np.inf
        b = hi[s] if np.isfinite(hi[s]) else np.inf
        return np.round(np.clip(x, a, b), int(dec[s]))

    def move(s, x, delta):
        """x + delta, with delta limited to 60% of the room to the lower bound and 80%
        of the room to the upper bound (a dip never reaches 0, a rate never 100)."""
        x = np.asarray(x, dtype=float)
        delta = np.broadcast_to(np.asarray(delta, dtype=float), x.shape)
        a = lo[s] if np.isfinite(lo[s]) else -np.inf
        b = hi[s] if np.isfinite(hi[s]) else np.inf
        delta = np.where(delta < 0, np.maximum(delta, -0.6 * (x - a)), np.minimum(delta, 0.8 * (b - x)))
        return bound(s, x + delta)

    # persisting changes first, so later events sit on the shifted level
    order = ["level_shift", "peer_outlier", "spike", "dip", "end_of_period_jump", "flat_line", "scale_change", "blank_as_zero", "missing"]
    for kind in order:
        for p in (q for q in plan if q["kind"] == kind):
            s, t0, L, ms = p["s"], p["t0"], p["length"], p["months"]
            bad = -1.0 if direction[s] == "higher" else 1.0
            if kind == "level_shift":
                k = rng.uniform(4.0, 7.0)
                values[s, t0:] = move(s, values[s, t0:], bad * k * sd[s])
                end = ms[0] + pd.offsets.MonthBegin(n_t - t0 - 1)
                p["event_id"] = book.add(ids[s], kind, ms[0], end, ms[:2], bad * k * sd[s],
                                         f"persisting shift of {k:.1f} sd in the bad direction; first 2 points labelled")
            elif kind == "peer_outlier":
                # drift to well beyond the peer group (same indicator, same peer group):
                # k peer spreads past the group's median, reached over 3 months
                peers = np.flatnonzero((indicator == indicator[s]) & (group == group[s]) & (np.arange(len(ids)) != s))
                if len(peers) == 0:
                    peers = np.flatnonzero((indicator == indicator[s]) & (np.arange(len(ids)) != s))
                k = rng.uniform(4.0, 6.0)
                window = slice(t0, t0 + L)
                if len(peers):
                    peer_mid = np.median(clean[peers, window], axis=0).mean()
                    # the peers' spread: their level differences and their noise, pooled
                    spread = max(sd[s], float(np.std(clean[peers, window], ddof=1)) if clean[peers, window].size > 1 else 0.0)
                else:
                    peer_mid, spread = clean[s, window].mean(), sd[s]
                gap = peer_mid + bad * k * spread - clean[s, window].mean()
                gap = bad * max(bad * gap, 4.0 * sd[s])
                ramp = np.minimum(1.0, (np.arange(L) + 1) / 3.0)
                values[s, window] = move(s, values[s, window], gap * ramp)
                lab = ms[ramp >= 0.66]
                p["event_id"] = book.add(ids[s], kind, ms[0], ms[-1], lab, gap,
                                         f"drifts to {k:.1f} peer spreads past its peer group's median over 3 months, holds, then returns; points at >= 2/3 of the gap labelled")
            elif kind in ("spike", "dip"):
                k = rng.uniform(5.0, 9.0)
                values[s, t0] = move(s, values[s, t0], bad * k * sd[s])
                p["event_id"] = book.add(ids[s], kind, ms[0], ms[0], ms, bad * k * sd[s],
                                         f"one-month {'rise' if bad > 0 else 'drop'} of {k:.1f} sd in a {direction[s]}-is-better indicator")
            elif kind == "end_of_period_jump":
                k = rng.uniform(4.0, 7.0)
                values[s, t0] = move(s, values[s, t0], -bad * k * sd[s])
                p["event_id"] = book.add(ids[s], kind, ms[0], ms[0], ms, -bad * k * sd[s],
                                         f"December improves by {k:.1f} sd before the year-end assessment")
            elif kind == "flat_line":
                values[s, t0 : t0 + L] = values[s, t0 - 1]
                p["event_id"] = book.add(ids[s], kind, ms[0], ms[-1], ms, 0.0,
                                         f"the value of the previous month copied into {L} months")
            elif kind == "scale_change":
                factor = 0.01 if unit[s] in ("%", "points") else 100.0
                values[s, t0 : t0 + L] = np.round(values[s, t0 : t0 + L] * factor, int(dec[s]) + 2)
                p["event_id"] = book.add(ids[s], kind, ms[0], ms[-1], ms, factor,
                                         f"reported x{factor:g} for {L} months ({'a fraction instead of a percent' if factor < 1 else 'a wrong unit'}), then corrected")
            elif kind == "blank_as_zero":
                values[s, t0] = 0.0
                p["event_id"] = book.add(ids[s], kind, ms[0], ms[0], ms, 0.0, "a blank submission stored as 0")
            elif kind == "missing":
                values[s, t0 : t0 + L] = np.nan
                p["event_id"] = book.add(ids[s], kind, ms[0], ms[-1], ms, np.nan, f"no submission for {L} month(s)")
