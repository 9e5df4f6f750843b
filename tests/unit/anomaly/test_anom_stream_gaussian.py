"""The windowed Gaussian stream detector: NAB's baseline exactly, causal, alarms once per event."""

import numpy as np
import pandas as pd
import pytest

from govperf_ml.anomaly.stream_gaussian import WindowedGaussian, windowed_moments
from govperf_ml.evaluation.nab_baselines import windowed_gaussian_scores


def _walk(n=9000, seed=0):
    rng = np.random.default_rng(seed)
    return 1e5 + np.cumsum(rng.normal(0, 1, n)) + rng.normal(0, 5, n)


def test_scores_are_nabs_windowed_gaussian():
    x = _walk()
    lt = WindowedGaussian(min_history=1).fit().score_values(x)["log_tail"]
    ours = 1.0 - 10.0 ** -lt
    ours[0] = 0.0
    np.testing.assert_allclose(ours, windowed_gaussian_scores(x), atol=1e-9)
    small = windowed_gaussian_scores(x[:700], window_size=200, step_size=30)
    lt = WindowedGaussian(window_size=200, step_size=30, min_history=1).fit().score_values(x[:700])["log_tail"]
    np.testing.assert_allclose(np.r_[0.0, 1.0 - 10.0 ** -lt[1:]], small, atol=1e-9)


def test_moments_use_only_earlier_values():
    x = _walk(1000)
    mean, std = windowed_moments(x, window_size=300, step_size=50)
    assert mean[10] == pytest.approx(x[:10].mean()) and std[10] == pytest.approx(x[:10].std())
    assert mean[420] == pytest.approx(x[100:400].mean())  # window moved twice: rows 100..399
    y = x.copy()
    y[600:] += 1e4
    m2, s2 = windowed_moments(y, window_size=300, step_size=50)
    np.testing.assert_array_equal(m2[:601], mean[:601])
    np.testing.assert_array_equal(s2[:601], std[:601])


def test_a_spike_alarms_once_and_nothing_before_min_history():
    rng = np.random.default_rng(1)
    x = 50 + rng.normal(0, 1, 2000)
    x[1500:1504] = 90.0  # one event of four rows: one alarm (suppressed repeats)
    det = WindowedGaussian(min_history=300, base=0.33, suppress=50).fit()
    early = x.copy()
    early[100] = 500.0  # inside min_history: no score
    assert (det.score_values(early)["log_tail"][:300] == 0).all()
    out = det.score_values(x)
    alarms = np.flatnonzero(out["alarm_score"] > 0)
    assert list(alarms) == [1500]
    assert ((out["anomaly_score"] >= 0) & (out["anomaly_score"] < 1)).all()
    assert ((out["probability"] >= 0) & (out["probability"] <= 1)).all()


def test_score_frame_and_parameter_checks():
    ts = pd.date_range("2024-01-01", periods=400, freq="5min")
    df = pd.DataFrame({"unique_id": "a", "ds": ts, "y": np.arange(400.0) % 7})
    out = WindowedGaussian().fit().score_frame(df)
    assert list(out.columns) == ["unique_id", "ds", "y", "log_tail", "probability", "anomaly_score", "alarm_score"]
    assert len(out) == 400
    with pytest.raises(ValueError, match="base"):
        WindowedGaussian(base=1.5).fit()
    with pytest.raises(ValueError, match="window_size"):
        WindowedGaussian(window_size=1).fit()
