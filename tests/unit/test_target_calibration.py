import numpy as np
import pandas as pd
import pytest

from govperf_ml.bench.targets_suite import loco_splits, rate_by_status, selection_pairs
from govperf_ml.targets.calibration import Familiarity, ProbabilityCalibrator, shrink
from govperf_ml.targets.features import FEATURES, empirical_ratios


def descriptors(n=200, seed=0, origins=(50, 400), horizon=(6, 48), vol=(0.05, 0.3)):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"n_origins": rng.uniform(*origins, n), "horizon": rng.uniform(*horizon, n),
                         "volatility": rng.uniform(*vol, n)})


def test_shrink_is_a_convex_mix():
    p = shrink([0.03, 0.97, 0.5], [0.4, 0.4, 0.4], [0.0, 1.0, 0.5])
    assert np.allclose(p, [0.4, 0.97, 0.45])


def test_familiar_episodes_keep_their_weight():
    fam = Familiarity(strength=1.0).fit(descriptors())
    w, why = fam.weight(descriptors(n=50, seed=1, origins=(80, 300), horizon=(8, 40), vol=(0.08, 0.25)))
    assert np.allclose(w, 1.0) and set(why) == {""}


def test_few_origins_short_window_and_odd_volatility_are_named():
    fam = Familiarity(strength=1.0).fit(descriptors())
    X = pd.DataFrame({"n_origins": [3, 200, 200, 200, 5000], "horizon": [20, 1, 20, 20, 500],
                      "volatility": [0.1, 0.1, 3.0, 0.001, 0.1]})
    w, why = fam.weight(X)
    assert why[:4] == ["little history", "short window", "unusual volatility", "unusual volatility"]
    assert (w[:4] < 0.9).all()
    assert w[4] == 1.0  # more history and a longer window than in training are not unfamiliar


def test_stronger_shrinkage_never_raises_the_weight():
    fam = Familiarity(strength=1.0).fit(descriptors())
    X = pd.DataFrame({"n_origins": [2, 20, 200], "horizon": [2, 4, 6], "volatility": [1.0, 0.5, 0.2]})
    w1, _ = fam.weight(X, strength=1.0)
    w4, _ = fam.weight(X, strength=4.0)
    assert (w4 <= w1).all() and np.allclose(fam.weight(X, strength=0.0)[0], 1.0)


@pytest.mark.parametrize("method", ["isotonic", "sigmoid"])
def test_calibrator_repairs_over_confidence(method):
    rng = np.random.default_rng(0)
    truth = rng.uniform(0.1, 0.9, 4000)
    y = rng.uniform(size=truth.size) < truth
    raw = 1 / (1 + np.exp(-3 * np.log(truth / (1 - truth))))  # too sure at both ends
    cal = ProbabilityCalibrator(method).fit(raw, y)
    assert np.mean(np.abs(cal.transform(raw) - truth)) < 0.5 * np.mean(np.abs(raw - truth))
    with pytest.raises(ValueError, match="calibration"):
        ProbabilityCalibrator("venn")


def test_loco_splits_hold_out_each_corpus_once():
    corpus = np.array(["a", "a", "b", "c", "c", "c"])
    splits = loco_splits(corpus)
    assert [c for c, _, _ in splits] == ["a", "b", "c"]
    for c, tr, te in splits:
        assert set(corpus[te]) == {c} and c not in set(corpus[tr])
        assert sorted(np.r_[tr, te]) == list(range(len(corpus)))
    assert selection_pairs(["c", "a", "b"]) == [("a", "b"), ("a", "c"), ("b", "c")]


def test_rate_by_status_learns_only_on_training_rows():
    status = np.array(["red", "red", "green", "green", "red", "amber"])
    y = np.array([1, 1, 0, 0, 0, 1])
    p = rate_by_status(status, y, np.arange(4), np.arange(4, 6))
    assert np.isclose(p[0], 3 / 4)  # red: 2 of 2 missed, Laplace-smoothed
    assert np.isclose(p[1], 0.5)  # amber unseen in training: the training miss rate


def test_seasonal_ratios_use_origins_of_the_same_phase():
    season = np.tile([10.0, 10, 10, 10, 10, 10, 20, 20, 20, 20, 20, 20], 10)  # low half, high half
    y = season[:-6]  # ends after a low half: the next 6 values are high
    mixed = empirical_ratios(y, base_len=12, gap=0, period_len=6)
    aligned = empirical_ratios(y, base_len=12, gap=0, period_len=6, season=12)
    assert np.ptp(mixed) > 0.5  # every phase: half up, half down
    assert np.allclose(aligned, 20 / 15)  # the same phase: always the high half next
    assert "n_origins" not in FEATURES  # a descriptor for calibration, not a model input


def test_status_drift_flags_only_colours_outside_the_backtest():
    from govperf_ml.targets.drift import find_status_drift, wilson

    by_status = {"green": {"n": 200, "miss_rate": 0.1}, "amber": {"n": 100, "miss_rate": 0.4},
                 "red": {"n": 100, "miss_rate": 0.8}}
    rng = np.random.default_rng(0)
    status = np.repeat(["green", "amber", "red"], [100, 60, 8])
    missed = np.r_[rng.uniform(size=100) < 0.45, rng.uniform(size=60) < 0.4, np.zeros(8, bool)]
    found = find_status_drift(status, missed, by_status)
    assert [d.status for d in found] == ["green"]  # amber holds; red has too few targets to judge
    d = found[0]
    assert d.observed > d.backtest_hi and d.p_value < 0.001 and "green" in d.reason_en and "绿灯" in d.reason_zh
    lo, hi = wilson(20, 200)
    assert lo < 0.1 < hi
    assert find_status_drift(status, np.r_[rng.uniform(size=100) < 0.1, missed[100:]], by_status) == []
    with pytest.raises(ValueError, match="length"):
        find_status_drift(status[:3], missed, by_status)
