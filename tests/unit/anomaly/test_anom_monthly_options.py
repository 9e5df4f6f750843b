"""The opt-in monthly options: two-pass expectation, the series' own alarm level, zeros seen
before, and the leave-one-corpus-out choice of the monthly bench."""

import numpy as np
import pandas as pd
import pytest

from govperf_ml.anomaly import AnomalyPipeline, SeasonalRobustZScore
from govperf_ml.bench.monthly_loco import choose_loco, loco_table, make_pipeline


def _monthly(y, uid="a"):
    return pd.DataFrame({"unique_id": uid, "ds": pd.date_range("2015-01-01", periods=len(y), freq="MS"), "y": y})


def _seasonal(n=84, noise=1.0, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return 100 + 10 * np.sin(2 * np.pi * t / 12) + rng.normal(0, noise, n)


def test_two_pass_keeps_a_past_spike_out_of_next_years_expectation():
    y = _seasonal()
    y[20] += 60  # a spike in Sep 2016; Sep 2017 (row 32) has two earlier Septembers
    plain = SeasonalRobustZScore().fit().score_frame(_monthly(y))
    clean = SeasonalRobustZScore(clean_z=3.5).fit().score_frame(_monthly(y))
    err = lambda s: abs(s["expected"].iloc[32] - y[32])  # noqa: E731
    assert err(clean) < err(plain)
    assert clean["anomaly_score"].iloc[20] > 3.5  # the spike itself is still scored as it came


def test_two_pass_follows_a_lasting_level_shift():
    y = _seasonal()
    y[40:] += 40
    s = SeasonalRobustZScore(clean_z=3.5).fit().score_frame(_monthly(y))
    assert s["anomaly_score"].iloc[40] > 3.5
    assert np.median(s["anomaly_score"].iloc[70:]) < 3.0  # the new level became the normal


def test_own_alarm_level_widens_heavy_tailed_series_only():
    rng = np.random.default_rng(3)
    calm = _seasonal(noise=1.0)
    wild = _seasonal(noise=1.0, seed=4) + np.where(rng.random(84) < 0.25, rng.normal(0, 15, 84), 0.0)
    df = pd.concat([_monthly(calm, "calm"), _monthly(wild, "wild")], ignore_index=True)
    base = SeasonalRobustZScore(rel_scale_floor=0.0).fit().score_frame(df)
    own = SeasonalRobustZScore(rel_scale_floor=0.0, tail_quantile=0.9).fit().score_frame(df)
    ratio = (own["scale"] / base["scale"]).groupby(own["unique_id"]).max()
    assert ratio["wild"] > 1.5 and ratio["calm"] < ratio["wild"]
    ok = base["scale"].notna()
    assert (own["scale"][ok] >= base["scale"][ok] - 1e-9).all()  # only ever widens
    assert (ratio <= 4.0 + 1e-9).all()  # at most max_widen


def test_own_alarm_level_is_causal():
    rng = np.random.default_rng(5)
    y = _seasonal(noise=2.0) + rng.standard_t(2, 84)
    det = SeasonalRobustZScore(tail_quantile=0.9, clean_z=3.5).fit()
    full, past = det.score_frame(_monthly(y)), det.score_frame(_monthly(y[:60]))
    np.testing.assert_allclose(full["z"].to_numpy()[:60], past["z"].to_numpy(), rtol=1e-9, atol=1e-9)


def test_one_series_and_a_panel_score_alike():
    a, b = _seasonal(seed=1), _seasonal(seed=2)
    det = SeasonalRobustZScore(tail_quantile=0.9, clean_z=3.5).fit()
    both = det.score_frame(pd.concat([_monthly(a, "a"), _monthly(b, "b")], ignore_index=True))
    one = det.score_frame(_monthly(a, "a"))
    np.testing.assert_allclose(both["z"].to_numpy()[:84], one["z"].to_numpy())


def test_zeros_seen_ok_leaves_zeros_of_an_intermittent_series_alone():
    y = _seasonal()
    y[30], y[60] = 0.0, 0.0
    df = _monthly(y)
    out_default = AnomalyPipeline().fit(df).score(df)
    out_seen = AnomalyPipeline(zeros_seen_ok=True).fit(df).score(df)
    reason = lambda o, i: o["reason_en"].iloc[i].lower()  # noqa: E731
    assert "blank" in reason(out_default, 60) or "zero" in reason(out_default, 60)
    assert "blank" not in reason(out_seen, 60)
    assert "blank" in reason(out_seen, 30) or "zero" in reason(out_seen, 30)  # the first zero is still a blank


def _res(f1):
    return {"f1": f1, "flagged_precision": f1, "kinds": {"dip": f1}}


def test_loco_choice_never_looks_at_the_held_out_corpus():
    results = {"default": {"A": _res(0.5), "B": _res(0.5), "C": _res(0.5)},
               "x": {"A": _res(0.9), "B": _res(0.9), "C": _res(0.0)},
               "y": {"A": _res(0.0), "B": _res(0.0), "C": _res(1.0)}}
    chosen = choose_loco(results)
    # C is best on y, but for C the choice is made on A and B only
    assert chosen == {"A": "default", "B": "default", "C": "x"}
    table = loco_table(results, "default")
    assert table.set_index("corpus").loc["C", "LOCO F1"] == 0.0
    with pytest.raises(ValueError, match="two corpora"):
        choose_loco({"default": {"A": _res(0.5)}})


def test_make_pipeline_applies_settings():
    p = make_pipeline({"threshold": 5.5, "tail_quantile": 0.9, "zeros_seen_ok": True})
    assert p.rule.threshold == 5.5 and p.detector.tail_quantile == 0.9 and p.zeros_seen_ok
    assert make_pipeline({}).get_params()["detector"] is None
