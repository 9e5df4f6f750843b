"""The streaming NAB detector and its post-processing: causal, order-free, monotone, catches what it should."""

import numpy as np
import pandas as pd
import pytest

from govperf_ml.anomaly._rolling import expanding_median, rolling_median
from govperf_ml.anomaly.stream import StreamingEnsemble
from govperf_ml.anomaly.stream_members import (
    knn_distance,
    log_scale,
    rare_pair,
    spatial_breach,
    time_of_day_z,
    window_z,
)
from govperf_ml.postprocess.likelihood import AnomalyLikelihood, SuppressRepeats, log_tail, suppress_repeats


def _stream(n=1500, seed=0, spike_at=None, shift_at=None):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    x = 10 + 3 * np.sin(2 * np.pi * t / 50) + rng.normal(0, 0.3, n)
    if spike_at is not None:
        x[spike_at] += 8
    if shift_at is not None:
        x[shift_at:] += 5
    return x


def _small():
    return StreamingEnsemble(memory=300, long_window=2000, min_history=200, suppress=50).fit()


def test_causal_future_values_do_not_change_past_scores():
    x = _stream(spike_at=1200)
    det = _small()
    full = det.score_values(x)
    part = det.score_values(x[:1000])
    for key in ("log_tail", "anomaly_score", "alarm_score"):
        np.testing.assert_allclose(part[key], full[key][:1000])


def test_catches_injected_spike_and_level_shift():
    det = _small()
    for kw, at in (({"spike_at": 1100}, 1100), ({"shift_at": 1100}, 1100)):
        r = det.score_values(_stream(**kw))
        alarms = np.flatnonzero(r["alarm_score"] > 0)
        assert any(at <= a <= at + 10 for a in alarms), alarms
        assert r["log_tail"][at : at + 10].max() > 5  # far beyond 1-in-100,000


def test_quiet_stream_rarely_alarms_and_probability_in_unit_interval():
    r = _small().score_values(_stream(seed=3))
    assert (r["alarm_score"] > 0).sum() <= 3
    assert ((r["probability"] >= 0) & (r["probability"] <= 1)).all()
    assert ((r["anomaly_score"] >= 0) & (r["anomaly_score"] < 1)).all()


def test_score_frame_does_not_depend_on_row_order():
    x = _stream(n=800, spike_at=700)
    df = pd.DataFrame({"unique_id": "a", "ds": pd.date_range("2024-01-01", periods=len(x), freq="5min"), "y": x})
    det = StreamingEnsemble(memory=200, long_window=500, min_history=100).fit()
    a = det.score_frame(df)
    b = det.score_frame(df.sample(frac=1.0, random_state=0))
    pd.testing.assert_frame_equal(a, b)


def test_stricter_base_never_adds_alarms():
    s = np.random.default_rng(1).random(3000)
    for lo, hi in ((0.5, 0.7), (0.9, 0.95)):
        a = suppress_repeats(s, base=lo, window=20) > 0
        b = suppress_repeats(s, base=hi, window=20) > 0
        # every strict alarm lies within the window after a lenient one (or is one)
        lenient = np.flatnonzero(a)
        for i in np.flatnonzero(b):
            assert ((i - lenient >= 0) & (i - lenient <= 20)).any()
        assert b.sum() <= (s >= hi).sum()
    plain = SuppressRepeats(base=0.5, window=0).fit().transform(s)
    np.testing.assert_array_equal(plain > 0, s >= 0.5)


def test_suppression_keeps_the_first_alarm_of_an_event():
    s = np.zeros(100)
    s[[10, 11, 12, 40, 80]] = 0.9
    out = suppress_repeats(s, base=0.5, window=30)
    assert list(np.flatnonzero(out)) == [10, 80]


def test_likelihood_is_causal_and_flags_a_burst():
    rng = np.random.default_rng(0)
    raw = np.abs(rng.normal(size=2000))
    raw[1500:1510] += 4
    lt = AnomalyLikelihood(long_window=1000, min_history=100).fit().transform(raw)
    assert lt[:100].max() == 0 and lt[1500:1512].max() > 5 and np.median(lt[200:1400]) < 1
    np.testing.assert_allclose(log_tail(raw[:1200], long_window=1000, min_history=100), lt[:1200])
    p = AnomalyLikelihood(long_window=1000, min_history=100).fit().probability(raw)
    assert ((p >= 0) & (p <= 1)).all()


def test_members_are_causal():
    x = _stream()
    np.testing.assert_allclose(knn_distance(x[:900], memory=300), knn_distance(x, memory=300)[:900])
    np.testing.assert_allclose(window_z(x[:900]), window_z(x)[:900])


def test_new_members_are_causal():
    x = _stream(spike_at=1200)
    ts = pd.date_range("2024-01-01", periods=len(x), freq="5min")
    np.testing.assert_allclose(spatial_breach(x[:900]), spatial_breach(x)[:900])
    np.testing.assert_allclose(rare_pair(x[:900]), rare_pair(x)[:900])
    np.testing.assert_allclose(time_of_day_z(x[:900], ts[:900]), time_of_day_z(x, ts)[:900])
    np.testing.assert_allclose(log_scale(x[:900]), log_scale(x)[:900])
    det = StreamingEnsemble(min_history=200).fit()
    full, part = det.score_values(x, ts), det.score_values(x[:900], ts[:900])
    for key in ("raw_tod_log", "raw_z_log", "log_tail"):
        np.testing.assert_allclose(part[key], full[key][:900])


def test_log_scale_is_unit_free_sign_safe_and_log_like():
    rng = np.random.default_rng(0)
    x = rng.poisson(5, 2000).astype(float)
    np.testing.assert_allclose(log_scale(x), log_scale(1000 * x))  # no units
    np.testing.assert_allclose(log_scale(-x), -log_scale(x))  # negative values are fine
    y = log_scale(np.r_[x, 500.0])  # a burst is ~log(x / median) there
    assert y[-1] == pytest.approx(np.log(500.0 / np.median(x)), abs=0.01)
    sparse = np.zeros(500)
    sparse[[50, 300]] = [3.0, 600.0]  # median 0: the unit is the smallest non-zero value
    np.testing.assert_allclose(log_scale(sparse)[300], np.arcsinh(600.0 / 6.0))
    assert np.isfinite(log_scale(np.zeros(10))).all() and len(log_scale([])) == 0


def test_spatial_breach_needs_to_leave_the_widened_running_range():
    x = np.r_[np.tile([0.0, 10.0], 50), 10.4, 11.0, -2.0]
    b = spatial_breach(x, tol=0.05)
    assert (b[:100] == 0).all()
    assert b[100] == 0  # 10.4 is within 5% of the range above the max
    # the max is 10.4 by then; then the range is [0, 11]
    assert b[101] == pytest.approx(0.6 / 10.4 - 0.05) and b[102] == pytest.approx(2 / 11 - 0.05)


def test_time_of_day_member_flags_a_missing_daily_peak():
    """A daily peak at noon that fails to come on day 12 is ordinary by value (inside the
    running range) but not for noon."""
    ts = pd.date_range("2024-01-01", periods=288 * 14, freq="5min")
    rng = np.random.default_rng(0)
    x = 1.0 + 0.1 * rng.normal(size=len(ts))
    noon = (ts.hour == 12)
    x[noon] += 5.0
    missing = noon & (ts.day == 12)
    x[missing] -= 5.0
    det = StreamingEnsemble(min_history=200).fit()
    r = det.score_values(x, ts)
    at = int(np.flatnonzero(missing)[0])
    assert r["lt_tod"][at : at + 12].max() > 5
    assert any(at <= a < at + 12 for a in np.flatnonzero(r["alarm_score"] > 0))
    no_ts = det.score_values(x)  # no timestamps: the time-of-day members are left out
    assert "raw_tod" not in no_ts and "raw_tod_log" not in no_ts and "raw_z_log" in no_ts


def test_bad_parameters_fail_in_fit():
    with pytest.raises(ValueError, match="base"):
        StreamingEnsemble(base=1.5).fit()
    with pytest.raises(ValueError, match="members"):
        StreamingEnsemble(members=("spatial", "nope")).fit()
    with pytest.raises(ValueError, match="tod_minutes"):
        StreamingEnsemble(tod_minutes=7).fit()


def test_numpy_rolling_medians_match_pandas():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(40, 5))
    a[rng.random(a.shape) < 0.2] = np.nan
    np.testing.assert_allclose(rolling_median(a, 7, 3), pd.DataFrame(a).rolling(7, min_periods=3).median(), equal_nan=True)
    np.testing.assert_allclose(expanding_median(a, 2), pd.DataFrame(a).expanding(2).median(), equal_nan=True)


def test_ensemble_is_members_then_likelihood_then_max_then_threshold_and_suppression():
    from govperf_ml.anomaly.stream_members import StreamMembers
    from govperf_ml.postprocess.likelihood import MemberLikelihood, squash

    x = _stream(spike_at=1200)
    det = _small()
    raw = StreamMembers().fit().score_values(x)
    assert set(raw) == {"spatial", "z_log"}  # no timestamps: no time-of-day members
    lts = MemberLikelihood(long_window=2000, min_history=200, offsets={"z_log": 2.0}).fit().transform(raw)
    score = squash(np.max(np.vstack(list(lts.values())), axis=0))
    alarms = SuppressRepeats(base=0.33, window=50).fit().transform(score)
    np.testing.assert_array_equal(det.score_values(x)["alarm_score"], alarms)


def test_own_level_is_causal_and_rises_only_in_a_busy_series():
    from govperf_ml.postprocess.likelihood import own_level

    rng = np.random.default_rng(3)
    quiet = rng.uniform(0, 0.05, 3000)
    busy = quiet.copy()
    busy[::20] = 0.5  # 5 % of rows score high: the 0.99 quantile of its past is 0.5
    assert (own_level(quiet, base=0.33, quantile=0.99) == 0.33).all()
    level = own_level(busy, base=0.33, quantile=0.99)
    assert (level[:300] == 0.33).all() and np.allclose(level[400:], 0.5) and (level[400:] > 0.5).all()
    changed = busy.copy()
    changed[2000:] = 0.9
    np.testing.assert_array_equal(own_level(changed, base=0.33, quantile=0.99)[:2001], level[:2001])
    assert (own_level(busy, base=0.33, quantile=0.0) == 0.33).all()


def test_own_quantile_drops_alarms_of_a_busy_series_only():
    rng = np.random.default_rng(4)
    busy = rng.uniform(0, 0.05, 3000)
    busy[::20] = 0.5
    quiet = rng.uniform(0, 0.05, 3000)
    quiet[2500] = 0.5
    fixed = SuppressRepeats(base=0.33, window=5).fit()
    own = SuppressRepeats(base=0.33, window=5, own_quantile=0.99).fit()
    assert (fixed.transform(busy) > 0).sum() > 100 and (own.transform(busy)[400:] > 0).sum() == 0
    louder = busy.copy()
    louder[2000] = 0.8  # above what the busy series does: still an alarm
    assert own.transform(louder)[2000] == 0.8
    np.testing.assert_array_equal(own.transform(quiet), fixed.transform(quiet))
    with pytest.raises(ValueError, match="own_quantile"):
        SuppressRepeats(own_quantile=1.0).fit()
