"""The :class:`SampleCity` data class: the frames of one generated city."""

from __future__ import annotations

from dataclasses import dataclass, fields

import pandas as pd


@dataclass(frozen=True, eq=False)
class SampleCity:
    """A seeded synthetic city. Every field is a pandas DataFrame (except ``seed``).

    Attributes
    ----------
    seed : the seed it was made with
    districts : org_unit, org_unit_name, org_unit_name_en, peer_group, population_10k
    indicators : indicator metadata (passes ``validate_indicators``), one row per series:
        unique_id (``"D01|on_time_completion_rate"``), org_unit, org_unit_name, peer_group,
        indicator, indicator_name_zh, unit, dimension, direction, frequency ("M"),
        aggregation (how its yearly target is assessed), value_type (rate / level / count /
        ytd = cumulative within the year), lower_bound, upper_bound, decimals
    series : monthly KPI series ``unique_id, ds, y`` with the anomalies injected
    series_clean : the same before injection (no NaN)
    demand : daily ``unique_id, ds, y`` of hotline calls and service-hall applications per
        district and for the city (the city equals the sum of its districts)
    demand_clean : ``demand`` before its few injected events
    demand_meta : unique_id, org_unit, channel, parent, level, unit, dimension, frequency
    anomalies : one row per anomalous point: unique_id, ds, kind, category, event_id
    events : one row per injected event: event_id, unique_id, kind, category, start, end,
        n_labelled, magnitude, note
    targets : yearly targets (passes ``validate_targets``)
    changes : announced city-wide changes (expected shifts that must not alert)
    feedback : the bundled citizen-feedback corpus (``load_feedback_corpus()``)
    feedback_stream : the city's weekly message traffic drawn from the corpus, with one
        injected complaint surge (``feedback_stream.make_feedback_stream``): message_id, text,
        channel, received_at, org_unit, area, dimensions, lang, surge
    feedback_surges : the injected surges: event_id, unique_id (``<district>|feedback:<area>:
        <dimension>``), org_unit, area, dimension, start, end (weeks), n_messages, and the KPI
        event it accompanies (kpi_event_id, kpi_unique_id)
    """

    seed: int
    districts: pd.DataFrame
    indicators: pd.DataFrame
    series: pd.DataFrame
    series_clean: pd.DataFrame
    demand: pd.DataFrame
    demand_clean: pd.DataFrame
    demand_meta: pd.DataFrame
    anomalies: pd.DataFrame
    events: pd.DataFrame
    targets: pd.DataFrame
    changes: pd.DataFrame
    feedback: pd.DataFrame
    feedback_stream: pd.DataFrame
    feedback_surges: pd.DataFrame

    def frames(self) -> dict[str, pd.DataFrame]:
        """Every DataFrame field by name (what ``write_sample_city`` writes)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if isinstance(getattr(self, f.name), pd.DataFrame)}
