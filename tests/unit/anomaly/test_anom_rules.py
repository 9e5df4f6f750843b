"""Alarm rules after the threshold, calibration, dismissal tuning and the forecast-residual detector."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govperf_ml.anomaly import AnomalyPipeline
from govperf_ml.anomaly.forecast_residual import ForecastResidualDetector
from govperf_ml.postprocess.rules import AlertBudget, DismissalTuner, MinDuration, NewNormal, ZCalibrator


def _frame(flags, z, ids=None):
    n = len(flags)
    ids = ids if ids is not None else ["A|x"] * n
    ds = pd.Series(pd.NaT, index=range(n))
    for uid in set(ids):  # one month per row within each series
        rows = [i for i, u in enumerate(ids) if u == uid]
        ds[rows] = pd.date_range("2023-01-01", periods=len(rows), freq="MS")
    return pd.DataFrame({"unique_id": ids, "ds": pd.to_datetime(ds), "z": z, "anomaly_score": np.abs(z)}), np.asarray(flags)


panel = st.integers(4, 40).flatmap(
    lambda n: st.tuples(
        st.lists(st.booleans(), min_size=n, max_size=n),
        st.lists(st.floats(-9, 9), min_size=n, max_size=n),
        st.lists(st.sampled_from(["A|x", "A|y", "B|x"]), min_size=n, max_size=n),
    )
)


@settings(max_examples=15, deadline=None)
@given(panel, st.integers(1, 4))
def test_rules_never_add_alerts_and_are_monotone_in_their_knob(data, k):
    flags, z, ids = data
    frame, flag = _frame(flags, z, ids)
    # rows shuffled: the rules order by (series, time) themselves
    perm = np.random.default_rng(k).permutation(len(frame))
    frame, flag = frame.iloc[perm].reset_index(drop=True), flag[perm]
    md_k = MinDuration(k=k).fit().apply(frame, flag)
    md_k1 = MinDuration(k=k + 1).fit().apply(frame, flag)
    assert not (md_k1 & ~md_k).any() and not (md_k & ~flag).any()
    assert (MinDuration(k=1).fit().apply(frame, flag) == flag).all()
    nn = NewNormal(n=k, season=12).fit().apply(frame, flag)
    assert not (nn & ~flag).any()
    for n_max in (0, k):
        kept = AlertBudget(max_alerts=n_max).fit().apply(frame, flag)
        assert not (kept & ~flag).any()
        per = frame.assign(org=frame["unique_id"].str[0], p=frame["ds"].dt.to_period("M"))[kept]
        counts = per.groupby(["org", "p"]).size()
        assert (counts <= n_max).all()
        looser = AlertBudget(max_alerts=n_max + 1).fit().apply(frame, flag)
        assert not (kept & ~looser).any()


def test_budget_keeps_the_highest_scores():
    frame = pd.DataFrame({"unique_id": ["A|x", "A|y", "A|z", "B|x"], "ds": pd.to_datetime(["2024-01-01"] * 4),
                          "z": [3.0, -8.0, 5.0, 4.0], "anomaly_score": [3.0, 8.0, 5.0, 4.0]})
    kept = AlertBudget(max_alerts=2).fit().apply(frame, np.ones(4, bool))
    assert kept.tolist() == [False, True, True, True]


def test_new_normal_alerts_the_start_of_a_shift_not_the_months_after():
    z = np.r_[np.zeros(5), np.full(10, 5.0), np.zeros(3), np.full(2, -6.0)]
    frame, flag = _frame(np.abs(z) > 3.5, z)
    kept = NewNormal(n=2, season=12).fit().apply(frame, flag)
    assert np.flatnonzero(kept).tolist() == [5, 6, 18, 19]
    # a shift that lasts more than a season alerts again
    z = np.full(16, 5.0)
    frame, flag = _frame(np.ones(16, bool), z)
    assert np.flatnonzero(NewNormal(n=1, season=12).fit().apply(frame, flag)).tolist() == [0, 12, 13, 14, 15]


def test_pipeline_new_normal_stops_repeated_alerts_after_a_level_shift():
    rng = np.random.default_rng(0)
    y = 100 + rng.normal(0, 1, 48)
    y[30:] += 15  # a lasting step up
    df = pd.DataFrame({"unique_id": "D1|cost", "ds": pd.date_range("2021-01-01", periods=48, freq="MS"), "y": y})
    without = AnomalyPipeline(rules=[], checks={}).fit(df).score(df)
    with_nn = AnomalyPipeline(checks={}).fit(df).score(df)  # the default rules include NewNormal
    assert without.is_anomaly.iloc[30:].sum() > 2
    assert with_nn.is_anomaly.iloc[30:32].all() and with_nn.is_anomaly.iloc[32:].sum() == 0
    assert with_nn.is_anomaly.sum() <= without.is_anomaly.sum()


def test_pipeline_threshold_offsets_and_detectors_column():
    rng = np.random.default_rng(1)
    parts = []
    for ind in ("a", "b"):
        y = 50 + rng.normal(0, 1, 36)
        y[30] += 9
        parts.append(pd.DataFrame({"unique_id": f"U|{ind}", "ds": pd.date_range("2021-01-01", periods=36, freq="MS"),
                                   "y": y}))
    df = pd.concat(parts, ignore_index=True)
    model = AnomalyPipeline(checks={}).fit(df)
    base = model.score(df)
    raised = model.score(df, threshold_offsets={"a": 50.0})
    assert base.is_anomaly.sum() >= 2
    assert not (raised.is_anomaly & ~base.is_anomaly).any()
    assert not raised[raised.unique_id == "U|a"].is_anomaly.any()
    assert (raised[raised.unique_id == "U|b"].is_anomaly == base[base.unique_id == "U|b"].is_anomaly).all()
    hit = base[base.is_anomaly].iloc[0]
    assert hit.detectors == ["seasonal_zscore"]
    assert "seasonal z-score" in hit.reason_en and "季节稳健" in hit.reason_zh
    assert hit.reason_en.count(". ") == 0 and hit.reason_en.endswith(".")


def test_dismissal_tuner_raises_thresholds_of_dismissed_indicators_only():
    frame = pd.DataFrame({"indicator": ["noisy"] * 10 + ["good"] * 10 + ["few"] * 2,
                          "dismissed": [True] * 9 + [False] + [True] * 2 + [False] * 8 + [True] * 2})
    tuner = DismissalTuner(min_alerts=5, tolerated=0.5, max_offset=2.0).fit(frame)
    assert set(tuner.offsets_) == {"noisy"}
    assert 0 < tuner.offset("noisy") <= 2.0 and tuner.offset("good") == 0.0
    allnoisy = DismissalTuner(max_offset=2.0).fit(frame.assign(dismissed=True))
    assert allnoisy.offset("noisy") == pytest.approx(2.0) and allnoisy.offset("noisy") >= tuner.offset("noisy")
    with pytest.raises(ValueError, match="dismissed"):
        DismissalTuner().fit(frame.drop(columns="dismissed"))


def test_calibrator_maps_scores_to_monotone_probabilities():
    rng = np.random.default_rng(0)
    cal = ZCalibrator().fit(np.abs(rng.standard_normal(2000)))
    p = cal.transform(np.array([0.0, 0.5, 1.0, 2.0, 3.0, 10.0, 1e6]))
    assert ((p >= 0) & (p <= 1)).all() and (np.diff(p) >= 0).all()
    assert p[-2] > 0.99 and p[1] < 0.8
    df = pd.DataFrame({"unique_id": "s", "ds": pd.date_range("2021-01-01", periods=36, freq="MS"),
                       "y": 10 + rng.normal(0, 1, 36)})
    out = AnomalyPipeline(calibrator=ZCalibrator(), checks={}).fit(df).score(df)
    assert out.anomaly_score.between(0, 1).all()


def _seasonal(n=40, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    y = 100 + 10 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 1, n)
    return pd.DataFrame({"unique_id": "s|x", "ds": pd.date_range("2021-01-01", periods=n, freq="MS"), "y": y})


def test_forecast_residual_detector_is_causal_and_catches_a_spike():
    df = _seasonal()
    df.loc[32, "y"] += 30
    det = ForecastResidualDetector().fit(df)
    out = det.score_frame(df)
    assert list(out.columns[:7]) == ["unique_id", "ds", "y", "expected", "scale", "z", "anomaly_score"]
    assert out.z.iloc[32] > 3.5 and out.z.iloc[:13].eq(0).all()
    later = df.copy()
    later.loc[33:, "y"] += 1000  # the future must not change the scores before it
    assert np.allclose(det.score_frame(later).z.iloc[:33], out.z.iloc[:33])
    ens = AnomalyPipeline(ensemble={"forecast_residual": ForecastResidualDetector()}, checks={}).fit(df).score(df)
    row = ens.iloc[32]
    assert row.is_anomaly and "forecast_residual" in row.detectors
