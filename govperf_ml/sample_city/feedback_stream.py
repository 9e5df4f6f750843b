"""The sample city's stream of citizen messages, with one injected complaint surge.

The bundled corpus (``feedback.py``) has a few hundred team-written messages; the stream
re-issues them as the city's weekly traffic: each district sends a negative-binomial
number of messages a week (``RATE_PER_10K`` per 10k residents), each a corpus message
drawn at random (its area and dimensions are the corpus labels), at a random daytime in
the week. Over the last ``STREAM_WEEKS`` weeks of the city.

One **complaint surge** is injected: many residents of one district write about one issue
(two or three corpus messages of one area and dimension, repeated) in two consecutive
weeks (``SURGE_EXTRA`` messages on top of the usual traffic). It is placed in a district
and month where an injected KPI event (spike, dip, level shift) hits an indicator of an
evaluation dimension the surge's service dimension maps to
(:data:`govperf_ml.feedback.links.SERVICE_TO_EVALUATION`), in the first five months of the
city's last year — so a service loaded through June can find it and link it.

Its own random generator (``default_rng([seed, 13])``) leaves the rest of the city as it was.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from govperf_ml.feedback.links import service_dimensions_of
from govperf_ml.feedback.surges import feedback_indicator, week_start
from govperf_ml.vocabulary import series_id, split_series_id

RATE_PER_10K = 0.08  # messages per 10k residents per week
NB_SIZE = 20.0  # weekly totals vary a little more than Poisson counts
STREAM_WEEKS = 104
SURGE_EXTRA = (10, 6)  # extra messages in the surge's first and second week
SURGE_KINDS = ("spike", "dip", "level_shift")
SURGE_COLUMNS = ["event_id", "unique_id", "org_unit", "area", "dimension", "start", "end", "n_messages",
                 "kpi_event_id", "kpi_unique_id"]


def _weeks(months: pd.DatetimeIndex) -> pd.DatetimeIndex:
    last_day = months[-1] + pd.offsets.MonthEnd(0)
    last = week_start(last_day)
    first = max(week_start(months[0] + pd.Timedelta(days=6)), last - pd.Timedelta(weeks=STREAM_WEEKS - 1))
    return pd.date_range(first, last, freq="7D")


def _times(rng, week: pd.Timestamp, n: int) -> list[pd.Timestamp]:
    days = rng.integers(0, 7, n)
    secs = rng.integers(8 * 3600, 22 * 3600, n)
    return [week + pd.Timedelta(days=int(d), seconds=int(s)) for d, s in zip(days, secs, strict=True)]


def _background(rng, districts: pd.DataFrame, weeks: pd.DatetimeIndex, corpus: pd.DataFrame) -> list[dict]:
    rows = []
    for unit, pop in zip(districts["org_unit"], districts["population_10k"], strict=True):
        mean = RATE_PER_10K * float(pop)
        counts = rng.negative_binomial(NB_SIZE, NB_SIZE / (NB_SIZE + mean), len(weeks))
        for week, n in zip(weeks, counts, strict=True):
            picks = rng.integers(0, len(corpus), n)
            for i, when in zip(picks, _times(rng, week, int(n)), strict=True):
                rows.append({"source": corpus.index[i], "org_unit": unit, "received_at": when})
    return rows


def _surge_place(rng, events: pd.DataFrame, corpus: pd.DataFrame, districts, weeks) -> dict:
    """Where the surge goes: a KPI event of the last year's first five months with a
    service dimension that has corpus messages, else a random district in March."""
    year = weeks[-1].year
    ev = events[events["kind"].isin(SURGE_KINDS) & (events["start"].dt.year == year) & (events["start"].dt.month <= 5)]
    ev = ev[ev["unique_id"].map(lambda u: split_series_id(u)[0] in set(districts["org_unit"]))]
    options = []
    for e in ev.sort_values("event_id").itertuples(index=False):
        for dim in service_dimensions_of(split_series_id(e.unique_id)[1]):
            options.append((e.event_id, e.unique_id, dim, pd.Timestamp(e.start)))
    if options:
        event_id, kpi_uid, dim, start = options[int(rng.integers(len(options)))]
        unit = split_series_id(kpi_uid)[0]
    else:
        event_id, kpi_uid, dim = None, None, "timeliness"
        unit = districts["org_unit"].iloc[int(rng.integers(len(districts)))]
        start = pd.Timestamp(year=year, month=3, day=1)
    has_dim = corpus[corpus["dimensions"].map(lambda ds: dim in ds)]
    areas = has_dim["area"].value_counts()
    areas = sorted(areas[areas >= 3].index)
    area = areas[int(rng.integers(len(areas)))]
    return {"kpi_event_id": event_id, "kpi_unique_id": kpi_uid, "org_unit": unit, "dimension": dim, "area": area,
            "first_week": week_start(start + pd.Timedelta(days=7)), "pool": has_dim[has_dim["area"] == area].index}


def _surge(rng, place: dict) -> tuple[list[dict], dict]:
    theme = rng.choice(np.asarray(place["pool"]), size=min(3, len(place["pool"])), replace=False)
    rows = []
    for k, extra in enumerate(SURGE_EXTRA):
        week = place["first_week"] + pd.Timedelta(weeks=k)
        for when in _times(rng, week, extra):
            rows.append({"source": theme[int(rng.integers(len(theme)))], "org_unit": place["org_unit"],
                         "received_at": when, "surge": True})
    unit, area, dim = place["org_unit"], place["area"], place["dimension"]
    book = {"event_id": "FS0001", "unique_id": series_id(unit, feedback_indicator(area, dim)), "org_unit": unit,
            "area": area, "dimension": dim, "start": place["first_week"],
            "end": place["first_week"] + pd.Timedelta(weeks=len(SURGE_EXTRA) - 1),
            "n_messages": int(sum(SURGE_EXTRA)), "kpi_event_id": place["kpi_event_id"],
            "kpi_unique_id": place["kpi_unique_id"]}
    return rows, book


def make_feedback_stream(
    seed: int, districts: pd.DataFrame, months: pd.DatetimeIndex, corpus: pd.DataFrame, events: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(messages, surges). ``messages``: message_id, text, channel, received_at, org_unit,
    area, dimensions, lang, surge (True for the injected messages); ``surges``: one row per
    injected surge (:data:`SURGE_COLUMNS`), ``kpi_*`` naming the KPI event it accompanies."""
    rng = np.random.default_rng([int(seed), 13])
    weeks = _weeks(months)
    rows = _background(rng, districts, weeks, corpus)
    surge_rows, book = _surge(rng, _surge_place(rng, events, corpus, districts, weeks))
    frame = pd.DataFrame([{**r, "surge": False} for r in rows] + surge_rows)
    frame = frame[frame["received_at"] < months[-1] + pd.offsets.MonthBegin(1)]
    frame = frame.sort_values("received_at", kind="stable").reset_index(drop=True)
    src = corpus.loc[frame["source"]].reset_index(drop=True)
    out = pd.DataFrame({
        "message_id": [f"SCF{i:06d}" for i in range(1, len(frame) + 1)],
        "text": src["text"], "channel": src["channel"],
        "received_at": frame["received_at"].astype("datetime64[ns]"), "org_unit": frame["org_unit"],
        "area": src["area"], "dimensions": src["dimensions"], "lang": src["lang"], "surge": frame["surge"],
    })
    surges = pd.DataFrame([book], columns=SURGE_COLUMNS).astype({"start": "datetime64[ns]", "end": "datetime64[ns]"})
    return out, surges
