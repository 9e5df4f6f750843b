"""``make_sample_city``: one seeded generator drives every part of the city in a fixed order."""

from __future__ import annotations

import numpy as np
import pandas as pd

from govperf_ml import contracts as C
from govperf_ml.calendar import calendar_features
from govperf_ml.sample_city.city import SampleCity
from govperf_ml.sample_city.demand import generate_demand, inject_demand_events
from govperf_ml.sample_city.events import EventBook, apply_events, plan_events
from govperf_ml.sample_city.feedback import load_feedback_corpus
from govperf_ml.sample_city.feedback_stream import make_feedback_stream
from govperf_ml.sample_city.kpis import generate_kpis, long_series, month_features
from govperf_ml.sample_city.spec import CHANGES, DISTRICTS, make_districts
from govperf_ml.sample_city.targets import choose_target_series, make_targets


def make_sample_city(
    *,
    seed: int = 0,
    n_districts: int = 12,
    start="2021-01-01",
    end="2025-12-31",
) -> SampleCity:
    """Generate the sample city.

    Parameters
    ----------
    seed : int
        Seed of ``numpy.random.default_rng``; the same seed gives the same city.
    n_districts : int
        1 to 12 districts (the first ``n_districts`` of the fixed list, over three peer groups).
    start, end : date-like
        The period covered; monthly series run from the month of ``start`` to the month of
        ``end``, daily demand over every day. At least 24 months are needed.
    """
    months, days = _period(n_districts, start, end)
    rng = np.random.default_rng(seed)
    districts = make_districts(int(n_districts))
    cal = calendar_features(days)
    book = EventBook()
    indicators, series_clean, series, targets = _monthly(rng, districts, months, cal, book)
    demand_clean, demand_meta = generate_demand(rng, districts, days, cal)
    demand = inject_demand_events(rng, demand_clean, demand_meta, cal, book)
    anomalies, events = book.frames()
    corpus = load_feedback_corpus()
    stream, surges = make_feedback_stream(seed, districts, months, corpus, events)
    # one datetime resolution in every frame with dates
    dated = {"series": series, "series_clean": series_clean, "demand": demand, "demand_clean": demand_clean,
             "anomalies": anomalies, "changes": _changes(months), "feedback_stream": stream,
             "feedback_surges": surges}
    return SampleCity(
        seed=int(seed),
        districts=districts,
        indicators=C.validate_indicators(indicators),
        demand_meta=demand_meta,
        events=events,
        targets=C.validate_targets(targets),
        feedback=corpus,
        **{name: _ns_dates(frame) for name, frame in dated.items()},
    )


def _period(n_districts, start, end) -> tuple[pd.DatetimeIndex, pd.DatetimeIndex]:
    """The months and the days covered, once the arguments are checked."""
    if not 1 <= int(n_districts) <= len(DISTRICTS):
        raise ValueError(f"n_districts must be between 1 and {len(DISTRICTS)}, got {n_districts}")
    start_ts, end_ts = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    months = pd.date_range(start_ts.to_period("M").start_time, end_ts.to_period("M").start_time, freq="MS")
    if len(months) < 24:
        raise ValueError(f"the sample city needs at least 24 months, got {len(months)} ({start} .. {end})")
    return months, pd.date_range(start_ts, end_ts, freq="D")


def _monthly(rng, districts: pd.DataFrame, months: pd.DatetimeIndex, cal: pd.DataFrame, book: EventBook):
    """The monthly KPIs, their injected events and the yearly targets, in the RNG's order:
    indicators, clean series, injected series, targets."""
    gen = generate_kpis(rng, districts, months, month_features(months, cal))
    indicators = gen["indicators"]
    clean = gen["values"]  # (S, T)
    values = clean.copy()
    sd = gen["sd"]
    meta = indicators.reset_index(drop=True)

    target_ids = choose_target_series(rng, meta)
    plan = plan_events(rng, meta, clean, sd, months, target_ids)
    apply_events(rng, plan, values, clean, meta, sd, book)
    targets = make_targets(rng, meta, values, clean, sd, months, target_ids, plan, book)
    ids = meta[C.ID].to_numpy()
    return indicators, long_series(ids, months, clean), long_series(ids, months, values), targets


def _changes(months: pd.DatetimeIndex) -> pd.DataFrame:
    """The announced city-wide changes within the period."""
    return pd.DataFrame(
        [
            {"ds": pd.Timestamp(ds), "org_unit": "ALL", "indicator": ind, "effect": eff, "description": desc}
            for ds, ind, eff, desc in CHANGES
            if months[0] <= pd.Timestamp(ds) <= months[-1]
        ],
        columns=["ds", "org_unit", "indicator", "effect", "description"],
    )


def _ns_dates(frame: pd.DataFrame) -> pd.DataFrame:
    """One datetime resolution everywhere (pandas 3 picks µs or ns by constructor)."""
    cols = [c for c in frame.columns if pd.api.types.is_datetime64_any_dtype(frame[c])]
    return frame.astype({c: "datetime64[ns]" for c in cols}) if cols else frame
