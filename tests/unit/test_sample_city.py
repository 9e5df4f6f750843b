"""The seeded sample city: reproducible, within contract, labelled, and the bundled corpus."""

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from govperf_ml import contracts as C
from govperf_ml.calendar import calendar_features
from govperf_ml.sample_city import (
    ANOMALY_CATEGORIES,
    ANOMALY_KINDS,
    SampleCity,
    load_feedback_corpus,
    make_sample_city,
    write_sample_city,
)

TAXONOMY = yaml.safe_load((Path(__file__).resolve().parents[2] / "govperf_ml" / "data" / "taxonomy.yaml").read_text("utf-8"))


# `city` is the session fixture of tests/conftest.py: make_sample_city(seed=0)


@pytest.fixture(scope="module")
def merged(city) -> pd.DataFrame:
    """series joined with series_clean and the indicator metadata."""
    m = city.series.merge(city.series_clean, on=[C.ID, C.DS], suffixes=("", "_clean"))
    return m.merge(city.indicators, on=C.ID)


def _labels(city, kind):
    return city.anomalies[city.anomalies["kind"] == kind]


# --------------------------------------------------------------------------- determinism
def test_same_seed_same_city(city):
    assert isinstance(city, SampleCity)
    again = make_sample_city(seed=city.seed)
    for name, frame in city.frames().items():
        pd.testing.assert_frame_equal(frame, getattr(again, name), obj=name)


def test_other_seed_other_city(city):
    other = make_sample_city(seed=1)
    assert not np.allclose(city.series_clean["y"], other.series_clean["y"])
    assert not city.anomalies[[C.ID, C.DS]].equals(other.anomalies[[C.ID, C.DS]])


def test_bad_district_count_is_refused():
    with pytest.raises(ValueError, match="n_districts"):
        make_sample_city(n_districts=0)


def test_smaller_city_still_works():
    small = make_sample_city(seed=2, n_districts=3, start="2023-01-01", end="2024-12-31")
    assert small.series[C.ID].nunique() == 3 * small.indicators[C.INDICATOR].nunique()
    assert small.series.groupby(C.ID).size().eq(24).all()
    assert set(small.anomalies["kind"]) <= set(ANOMALY_KINDS)


# --------------------------------------------------------------------------- contracts
def test_frames_pass_the_contracts(city):
    C.validate_series(city.series, allow_missing_y=True)
    C.validate_series(city.series_clean, allow_missing_y=False)
    C.validate_series(city.demand, allow_missing_y=False)
    C.validate_indicators(city.indicators)
    C.validate_targets(city.targets)
    C.validate_feedback(city.feedback, require_labels=True)


def test_indicator_catalogue(city):
    ind = city.indicators
    assert ind[C.ORG_UNIT].nunique() == 12
    assert ind[C.INDICATOR].nunique() >= 28
    assert set(ind[C.DIMENSION]) == set(C.DIMENSIONS) - {"demand"}
    assert (ind[C.ID] == ind[C.ORG_UNIT] + "|" + ind[C.INDICATOR]).all()
    assert set(ind[C.FREQUENCY]) == {"M"}
    assert ind["peer_group"].nunique() == 3
    assert ind["indicator_name_zh"].str.len().gt(0).all()
    direction = ind.drop_duplicates(C.INDICATOR).set_index(C.INDICATOR)[C.DIRECTION]
    assert direction["on_time_completion_rate"] == "higher"
    assert direction["avg_processing_days"] == "lower"
    assert direction["complaint_reopen_rate"] == "lower"
    assert direction["air_quality_index"] == "lower"
    assert direction["graduation_rate"] == "higher"


def test_series_are_monthly_over_five_years(city):
    sizes = city.series.groupby(C.ID).size()
    assert sizes.eq(60).all() and len(sizes) == len(city.indicators)
    assert (city.series[C.DS].dt.day == 1).all()
    assert city.series[C.DS].min() == pd.Timestamp("2021-01-01")
    assert city.series[C.DS].max() == pd.Timestamp("2025-12-01")


def test_clean_values_are_within_their_bounds(merged):
    lo = merged["lower_bound"].fillna(-np.inf)
    hi = merged["upper_bound"].fillna(np.inf)
    assert merged["y_clean"].between(lo, hi).all()
    rates = merged[merged[C.UNIT] == "%"]
    assert rates["y_clean"].between(0, 100).all()


def test_spring_festival_month_dips_in_efficiency(city):
    s = city.series_clean[city.series_clean[C.ID].str.endswith("|on_time_completion_rate")]
    by_month = s.groupby([s[C.DS].dt.year, s[C.DS].dt.month])["y"].mean()
    # 2024: Spring Festival in February
    assert by_month[(2024, 2)] < by_month[(2024, 4)] - 1.0


def test_budget_execution_jumps_in_december(city):
    s = city.series_clean[city.series_clean[C.ID].str.endswith("|budget_execution_rate")]
    month = s[C.DS].dt.month
    nov, dec = s.loc[month == 11, "y"].mean(), s.loc[month == 12, "y"].mean()
    assert dec > nov + 10


def test_clean_series_have_no_natural_flat_runs(city):
    y = city.series_clean.pivot(index=C.DS, columns=C.ID, values="y").to_numpy()
    same = (y[1:] == y[:-1])
    assert not (same[1:] & same[:-1]).any()


# --------------------------------------------------------------------------- anomalies
def test_every_kind_has_at_least_ten_events(city):
    a = city.anomalies
    assert list(a.columns) == [C.ID, C.DS, "kind", "category", "event_id"]
    events = a.groupby("kind")["event_id"].nunique()
    for kind in ANOMALY_KINDS:
        assert events.get(kind, 0) >= 10, kind
    assert (a["category"] == a["kind"].map(ANOMALY_CATEGORIES)).all()
    assert set(a["category"]) == {"performance", "data_quality", "misreporting", "peer"}


def test_anomalies_are_sparse_and_point_at_existing_rows(city):
    in_series = city.anomalies.merge(city.series[[C.ID, C.DS]], on=[C.ID, C.DS])
    in_demand = city.anomalies.merge(city.demand[[C.ID, C.DS]], on=[C.ID, C.DS])
    assert len(in_series) + len(in_demand) == len(city.anomalies)
    assert not city.anomalies.duplicated([C.ID, C.DS]).any()
    assert 0.01 <= len(in_series) / len(city.series) <= 0.03
    assert len(in_demand) / len(city.demand) < 0.01


def test_events_frame_matches_the_labels(city):
    counts = city.anomalies.groupby("event_id").size()
    ev = city.events.set_index("event_id")
    assert (ev.loc[counts.index, "n_labelled"] == counts).all()
    assert (ev["start"] <= ev["end"]).all()


def test_missing_values_are_exactly_the_missing_labels(city):
    nan = city.series[city.series["y"].isna()][[C.ID, C.DS]]
    lab = _labels(city, "missing")[[C.ID, C.DS]]
    pd.testing.assert_frame_equal(nan.reset_index(drop=True), lab.reset_index(drop=True))


def test_blank_as_zero_and_scale_change_values(city, merged):
    m = merged.merge(city.anomalies, on=[C.ID, C.DS])
    assert (m.loc[m["kind"] == "blank_as_zero", "y"] == 0).all()
    sc = m[m["kind"] == "scale_change"]
    ratio = sc["y"] / sc["y_clean"]
    assert (np.isclose(ratio, 0.01, rtol=0.3) | np.isclose(ratio, 100, rtol=0.3)).all()


def test_flat_lines_repeat_the_previous_value(city):
    s = city.series.set_index([C.ID, C.DS])["y"]
    for ev in city.events[city.events["kind"] == "flat_line"].itertuples():
        before = s[(ev.unique_id, ev.start - pd.offsets.MonthBegin(1))]
        run = s.loc[ev.unique_id].loc[ev.start : ev.end]
        assert len(run) >= 4 and (run == before).all()


def test_performance_anomalies_respect_direction(city, merged):
    m = merged.merge(city.anomalies, on=[C.ID, C.DS])
    # compare with the clean value, except after a (persisting) level shift in the series
    shifts = city.events[city.events["kind"] == "level_shift"].set_index(C.ID)["start"]
    m = m[~(m[C.ID].isin(shifts.index) & (m[C.DS] > m[C.ID].map(shifts)))]
    spikes = m[(m["kind"] == "spike")]
    dips = m[(m["kind"] == "dip")]
    assert (spikes[C.DIRECTION] == "lower").all() and (spikes["y"] > spikes["y_clean"]).all()
    assert (dips[C.DIRECTION] == "higher").all() and (dips["y"] < dips["y_clean"]).all()
    jumps = m[m["kind"] == "end_of_period_jump"]
    assert (jumps[C.DS].dt.month == 12).all()
    better = np.where(jumps[C.DIRECTION] == "higher", jumps["y"] > jumps["y_clean"], jumps["y"] < jumps["y_clean"])
    assert better.all()


def test_level_shifts_persist_but_label_two_points(city):
    s = city.series.set_index([C.ID, C.DS])["y"]
    c = city.series_clean.set_index([C.ID, C.DS])["y"]
    for ev in city.events[city.events["kind"] == "level_shift"].itertuples():
        assert ev.n_labelled == 2
        tail = (s.loc[ev.unique_id] - c.loc[ev.unique_id]).loc[ev.start :].dropna()
        others = city.events[(city.events[C.ID] == ev.unique_id) & (city.events["event_id"] != ev.event_id)]
        for o in others.itertuples():  # later events in the same series overwrite the shift
            tail = tail[(tail.index < o.start) | (tail.index > o.end)]
        assert (np.sign(tail[tail != 0]) == np.sign(ev.magnitude)).mean() > 0.9


def test_bunching_sits_just_past_the_target(city, merged):
    sd = merged.groupby(C.ID)["y_clean"].std()
    for ev in city.events[city.events["kind"] == "bunching"].itertuples():
        year = ev.end.year
        target = city.targets.set_index("target_id").loc[f"{ev.unique_id}@{year}"]
        assert target["target"] == pytest.approx(ev.magnitude)
        vals = city.series.set_index([C.ID, C.DS])["y"].loc[ev.unique_id].loc[ev.start : ev.end]
        gap = (vals - target["target"]) * (1 if target[C.DIRECTION] == "higher" else -1)
        assert len(vals) >= 8
        assert (gap >= 0).all() and (gap < sd[ev.unique_id]).all()


def test_peer_outlier_is_far_from_its_peer_group(city, merged):
    at = _labels(city, "peer_outlier")
    for ev in city.events[city.events["kind"] == "peer_outlier"].itertuples():
        ind, group, direction = merged.loc[merged[C.ID] == ev.unique_id, [C.INDICATOR, "peer_group", C.DIRECTION]].iloc[0]
        assert ind not in ("new_jobs_created", "traffic_accidents", "backlog_cases")  # no raw counts
        same = merged[(merged[C.INDICATOR] == ind) & (merged["peer_group"] == group) & (merged[C.ID] != ev.unique_id)]
        in_window = same[same[C.DS].between(ev.start, ev.end)]
        ds = at.loc[at["event_id"] == ev.event_id, C.DS].max()
        me = merged.loc[(merged[C.ID] == ev.unique_id) & (merged[C.DS] == ds), "y"].iloc[0]
        peer_median = in_window.loc[in_window[C.DS] == ds, "y_clean"].median()
        bad = -1 if direction == "higher" else 1
        assert bad * (me - peer_median) > 2.5 * in_window["y_clean"].std(), ev.unique_id


# --------------------------------------------------------------------------- demand
def test_districts_sum_to_the_city(city):
    meta = city.demand_meta
    assert set(meta["channel"]) == {"hotline", "service_hall"}
    for frame in (city.demand, city.demand_clean):
        d = frame.merge(meta[[C.ID, "parent", "level"]], on=C.ID)
        total = d[d["level"] == "district"].groupby(["parent", C.DS])["y"].sum()
        city_y = d[d["level"] == "city"].set_index([C.ID, C.DS])["y"]
        city_y.index.names = ["parent", C.DS]
        pd.testing.assert_series_equal(total.sort_index(), city_y.sort_index(), check_names=False)


def test_demand_is_daily_counts(city):
    d = city.demand
    assert d.groupby(C.ID).size().eq(1826).all()
    assert (d["y"] >= 0).all() and (d["y"] == d["y"].round()).all()


def test_holidays_lower_demand_and_adjusted_weekends_work_as_weekdays(city):
    for uid, holiday_ratio in (("CITY|hotline", 0.7), ("CITY|service_hall", 0.1)):
        y = city.demand_clean[city.demand_clean[C.ID] == uid].set_index(C.DS)["y"]
        f = calendar_features(y.index)
        plain_workday = y[f["is_workday"] & ~f["is_adjusted_workday"]].mean()
        assert y[f["is_holiday"]].mean() < holiday_ratio * plain_workday
        assert y[f["is_adjusted_workday"]].mean() > 0.85 * plain_workday
        assert y[~f["is_workday"] & ~f["is_holiday"]].mean() < 0.8 * plain_workday


# --------------------------------------------------------------------------- targets
def test_targets_are_yearly_and_roughly_half_missed(city):
    t = city.targets
    assert 80 <= t[C.ID].nunique() <= 120
    assert (t[C.START].dt.strftime("%m-%d") == "01-01").all()
    assert (t[C.DEADLINE].dt.strftime("%m-%d") == "12-31").all()
    assert t[C.DEADLINE].max() == pd.Timestamp("2025-12-31")
    assert set(t[C.AGGREGATION]) == {"last", "mean", "sum"}
    ind = city.indicators.set_index(C.ID)
    assert (t[C.DIRECTION].to_numpy() == ind.loc[t[C.ID], C.DIRECTION].to_numpy()).all()

    s = city.series.assign(year=city.series[C.DS].dt.year).groupby([C.ID, "year"])["y"]
    last = s.apply(lambda v: v.dropna().iloc[-1])
    got = {"last": last, "mean": s.mean(), "sum": s.sum()}
    keys = list(zip(t[C.ID], t[C.DEADLINE].dt.year))
    achieved = np.array([got[a].loc[k] for a, k in zip(t[C.AGGREGATION], keys)])
    met = np.where(t[C.DIRECTION] == "higher", achieved >= t[C.TARGET], achieved <= t[C.TARGET])
    assert 0.3 <= 1 - met.mean() <= 0.5


# --------------------------------------------------------------------------- writing
def test_write_sample_city(city, tmp_path):
    paths = write_sample_city(city, tmp_path / "city")
    assert set(paths) == set(city.frames())
    for name, path in paths.items():
        assert path.exists() and path.suffix == ".csv", name
    fb = pd.read_csv(paths["feedback"], dtype=str, keep_default_na=False)
    assert fb["dimensions"].str.contains(";").any()
    assert not fb["dimensions"].str.contains(r"\[").any()
    back = C.validate_series(pd.read_csv(paths["series"]))
    assert len(back) == len(city.series)


# --------------------------------------------------------------------------- corpus
PII = re.compile(
    r"1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}"  # mobile numbers
    r"|\d{17}[\dX]"  # ID-card numbers
    r"|[\w.]+@[\w.]+\.\w+"  # e-mail
    r"|我叫|我是\w{1,3}[某]|[\u4e00-\u9fff]某某|My name is|I am [A-Z]\w+ [A-Z]"
)


@pytest.fixture(scope="module")
def corpus() -> pd.DataFrame:
    return load_feedback_corpus()


def test_corpus_size_and_columns(corpus):
    assert len(corpus) >= 440
    assert list(corpus.columns) == [
        "message_id", "text", "channel", "received_at", "org_unit", "area", "dimensions", "lang"
    ]
    assert corpus["message_id"].str.fullmatch(r"FB\d{4}").all() and corpus["message_id"].is_unique
    assert corpus["text"].is_unique
    assert corpus["text"].str.len().between(10, 150).all()
    assert corpus["channel"].isin(C.CHANNELS).all()
    assert corpus["org_unit"].str.fullmatch(r"D(0[1-9]|1[0-2])").all()
    assert corpus["received_at"].dt.year.isin([2024, 2025]).all()


def test_corpus_labels_are_taxonomy_ids_and_balanced(corpus):
    areas = corpus["area"].value_counts()
    assert set(areas.index) == set(TAXONOMY["areas"])
    assert areas.min() >= 50
    dims = corpus["dimensions"].explode().value_counts()
    assert set(dims.index) == set(TAXONOMY["dimensions"])
    assert dims.min() >= 40
    assert corpus["dimensions"].map(len).between(1, 3).all()


def test_corpus_languages_and_personal_data(corpus):
    share_en = (corpus["lang"] == "en").mean()
    assert set(corpus["lang"]) == {"zh", "en"}
    assert 0.10 <= share_en <= 0.20
    has_cjk = corpus["text"].str.contains(r"[\u4e00-\u9fff]")
    assert (has_cjk == (corpus["lang"] == "zh")).all()
    share_pii = corpus["text"].str.contains(PII).mean()
    assert 0.10 <= share_pii <= 0.25


def test_sample_city_carries_the_corpus(city, corpus):
    pd.testing.assert_frame_equal(city.feedback, corpus)
