"""Complaint surges: weekly counts, the count detector and its rule, key terms, the links table."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from govperf_ml.contracts import DataContractError
from govperf_ml.feedback.links import SERVICE_TO_EVALUATION, indicators_of, service_dimensions_of
from govperf_ml.feedback.surges import (
    CountSurgeDetector,
    SurgeRule,
    detect_surges,
    key_terms,
    pooled_dispersion,
    weekly_counts,
)
from govperf_ml.feedback.taxonomy import load_taxonomy

START = pd.Timestamp("2024-01-01")  # a Monday


def messages(counts: dict[tuple[str, str, str], list[int]]) -> pd.DataFrame:
    rows = []
    for (unit, area, dim), weekly in counts.items():
        for w, n in enumerate(weekly):
            rows += [{"org_unit": unit, "area": area, "dimensions": [dim],
                      "received_at": START + pd.Timedelta(days=7 * w + i % 7, hours=10)} for i in range(n)]
    return pd.DataFrame(rows)


def background(seed=0, weeks=30, lam=1.0, cells=6) -> dict:
    rng = np.random.default_rng(seed)
    return {(f"D{c:02d}", "health", "timeliness"): list(rng.poisson(lam, weeks)) for c in range(1, cells + 1)}


def test_weekly_counts_fill_every_week_and_count_each_dimension():
    df = pd.DataFrame({"org_unit": ["D01", "D01", None], "area": ["health", "health", "health"],
                       "dimensions": [["fees", "attitude"], ["fees"], ["fees"]],
                       "received_at": ["2024-01-03 10:00", "2024-01-17 09:00", "2024-01-03"]})
    c = weekly_counts(df)
    fees = c[c["unique_id"] == "D01|feedback:health:fees"]
    assert list(fees["ds"].dt.strftime("%Y-%m-%d")) == ["2024-01-01", "2024-01-08", "2024-01-15"]
    assert list(fees["y"]) == [1.0, 0.0, 1.0]
    assert set(c["unique_id"]) == {"D01|feedback:health:fees", "D01|feedback:health:attitude"}


def test_weekly_counts_name_what_is_missing_or_unreadable():
    with pytest.raises(DataContractError, match="dimensions"):
        weekly_counts(pd.DataFrame({"org_unit": ["D01"], "area": ["health"], "received_at": ["2024-01-01"]}))
    bad = pd.DataFrame({"message_id": ["m1"], "org_unit": ["D01"], "area": ["health"], "dimensions": [["fees"]],
                        "received_at": ["not a date"]})
    with pytest.raises(DataContractError, match="m1") as err:
        weekly_counts(bad)
    assert err.value.field == "received_at"


def test_a_planted_surge_is_found_in_its_week_and_nowhere_else():
    counts = background()
    counts[("D03", "health", "timeliness")] = counts[("D03", "health", "timeliness")][:20] + [9, 7] + [1] * 8
    found = detect_surges(messages(counts))
    assert [(u, f"{d:%Y-%m-%d}") for u, d in zip(found["unique_id"], found["ds"])] == [
        ("D03|feedback:health:timeliness", f"{START + pd.Timedelta(weeks=20):%Y-%m-%d}")
    ]  # the second week of the surge is the same episode: no second alert


@pytest.mark.parametrize("seed", range(5))
def test_flat_and_noisy_series_without_a_surge_are_not_flagged(seed):
    counts = background(seed, lam=3.0)
    counts[("D09", "health", "fees")] = [2] * 30
    assert detect_surges(messages(counts)).empty


def test_zero_to_two_messages_is_not_a_surge_but_zero_to_six_is():
    quiet = {("D01", "transport", "fees"): [0] * 20 + [2]}
    assert detect_surges(messages(quiet), start=START).empty
    loud = {("D01", "transport", "fees"): [0] * 20 + [6]}
    assert len(detect_surges(messages(loud), start=START)) == 1


def test_a_stricter_rule_never_adds_surges():
    counts = background(1, lam=2.0)
    counts[("D02", "health", "timeliness")][25] = 12
    counts[("D04", "health", "timeliness")][15] = 7
    c = weekly_counts(messages(counts))
    scored = CountSurgeDetector().fit(c).score_frame(c)
    loose = SurgeRule(min_count=3, threshold=2.0, min_ratio=1.5, suppress_weeks=0).fit().apply(scored)["is_surge"]
    for strict in (SurgeRule(min_count=8), SurgeRule(threshold=8.0), SurgeRule(min_ratio=4.0), SurgeRule(suppress_weeks=10)):
        tight = strict.fit().apply(scored)["is_surge"]
        assert not (tight & ~loose).any()


def test_scores_are_causal_and_warm_up():
    counts = {("D01", "health", "fees"): [1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 9, 0]}
    c = weekly_counts(messages(counts))
    det = CountSurgeDetector(dispersion=math.inf).fit(c)
    full = det.score_frame(c)
    cut = det.score_frame(c.iloc[:11])
    np.testing.assert_allclose(full["anomaly_score"].iloc[:11], cut["anomaly_score"])
    assert (full["anomaly_score"].iloc[:8] == 0).all() and full["anomaly_score"].iloc[10] > 4


def test_dispersion_is_poisson_for_poisson_counts_and_finite_for_overdispersed_ones():
    rng = np.random.default_rng(0)
    pois = {(f"D{i}", "a", "d"): list(rng.poisson(4, 80)) for i in range(20)}
    assert pooled_dispersion(weekly_counts(messages(pois))) > 20
    nb = {(f"D{i}", "a", "d"): list(rng.negative_binomial(2, 2 / 6, 80)) for i in range(20)}
    assert 1 < pooled_dispersion(weekly_counts(messages(nb))) < 4


def test_key_terms_mark_the_surge_against_the_baseline():
    surge = ["小区电梯坏了三个月没人修", "电梯停运，老人上下楼困难", "电梯又坏了，物业不管"]
    base = ["路灯不亮没人修", "公交车晚点严重", "小区绿化太差", "物业收费太高"]
    terms = key_terms(surge, base)
    assert terms[0] == "电梯" and "没人" not in terms[:1]
    assert key_terms([], base) == [] and "[PHONE]".lower() not in key_terms(["电话[PHONE]电梯"] * 2, base)


def test_the_links_table_covers_every_taxonomy_dimension():
    assert set(SERVICE_TO_EVALUATION) == set(load_taxonomy().dimensions)
    assert "on_time_completion_rate" in indicators_of("timeliness")
    assert service_dimensions_of("on_time_completion_rate") == ["timeliness", "accessibility"]
    assert service_dimensions_of("not_in_the_catalogue") == []


def test_the_sample_city_surge_is_found_with_the_true_tags_beside_its_kpi_event():
    from govperf_ml.sample_city import make_sample_city

    city = make_sample_city(seed=0)
    (planted,) = city.feedback_surges.itertuples(index=False)
    found = detect_surges(city.feedback_stream)
    assert list(zip(found["unique_id"], found["ds"])) == [(planted.unique_id, planted.start)]
    kpi_unit, kpi_indicator = planted.kpi_unique_id.split("|")
    assert kpi_unit == planted.org_unit and planted.dimension in service_dimensions_of(kpi_indicator)
    assert city.feedback_stream["surge"].sum() == planted.n_messages


def test_key_terms_never_offer_a_titled_name_the_masker_missed():
    surge = ["来电人冯先生反映手机翻新", "来电人冯先生反映翻新机", "冯先生说翻新手机"]
    terms = key_terms(surge, ["路灯不亮", "公交晚点"])
    assert "翻新" in terms and not any("先生" in t for t in terms)
