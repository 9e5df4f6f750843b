"""Laws the models must keep, checked on many generated inputs."""

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govperf_ml.anomaly import SeasonalRobustZScore
from govperf_ml.forecasting import SeasonalNaiveForecaster
from govperf_ml.postprocess import ThresholdRule
from tests.conftest import make_panel

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(a=st.floats(0.01, 1000), b=st.floats(-1e4, 1e4), seed=st.integers(0, 1000))
def test_robust_z_invariant_to_affine_rescaling(a, b, seed):
    df = make_panel(n_series=2, n=40, seed=seed)
    det = SeasonalRobustZScore(rel_scale_floor=0.0).fit()
    z1 = det.score_frame(df)["z"].to_numpy()
    z2 = det.score_frame(df.assign(y=a * df["y"] + b))["z"].to_numpy()
    np.testing.assert_allclose(z1, z2, rtol=1e-6, atol=1e-6)


@SETTINGS
@given(seed=st.integers(0, 10_000))
def test_scores_do_not_depend_on_row_order(seed):
    df = make_panel(n_series=3, n=36, seed=1)
    shuffled = df.sample(frac=1.0, random_state=seed)
    det = SeasonalRobustZScore().fit()
    pd.testing.assert_frame_equal(det.score_frame(df), det.score_frame(shuffled))


@SETTINGS
@given(h=st.integers(1, 60), n_series=st.integers(1, 4), n=st.integers(3, 80))
def test_forecast_returns_h_rows_per_series(h, n_series, n):
    df = make_panel(n_series=n_series, n=n, freq="D", season=7)
    fc = SeasonalNaiveForecaster().fit(df).forecast(df, h=h)
    assert (fc.groupby("unique_id").size() == h).all() and fc["unique_id"].nunique() == n_series
    assert np.isfinite(fc.drop(columns=["unique_id", "ds"]).to_numpy()).all()


@SETTINGS
@given(z=st.lists(st.floats(-20, 20), min_size=1, max_size=50), t1=st.floats(0.5, 10), dt=st.floats(0, 10),
       dirs=st.sampled_from([None, "higher", "lower"]))
def test_stricter_threshold_never_adds_alerts(z, t1, dt, dirs):
    d = None if dirs is None else [dirs] * len(z)
    loose = ThresholdRule(threshold=t1).fit(z).predict(z, d)
    strict = ThresholdRule(threshold=t1 + dt).fit(z).predict(z, d)
    assert not (strict & ~loose).any()


@SETTINGS
@given(values=st.lists(st.floats(1, 100), min_size=14, max_size=30), target=st.floats(1, 200),
       direction=st.sampled_from(["higher", "lower"]), agg=st.sampled_from(["last", "mean", "sum"]))
def test_target_probabilities_stay_in_unit_interval(values, target, direction, agg):
    from govperf_ml.targets import LinearPaceRule

    h = pd.DataFrame({"unique_id": "a", "ds": pd.date_range("2024-01-01", periods=len(values), freq="MS"), "y": values})
    t = pd.DataFrame({"unique_id": ["a"], "target": [target], "start": ["2024-06-30"], "deadline": ["2026-12-31"],
                      "direction": [direction], "aggregation": [agg]})
    past = t.assign(start="2024-01-01", deadline="2024-10-31")
    res = LinearPaceRule().fit(h, past).assess(h, t)
    assert ((res["p_miss"] >= 0) & (res["p_miss"] <= 1)).all()
    assert res["status"].isin(["green", "amber", "red"]).all()
