"""The metrics now computed by utilsforecast / scikit-learn give the figures of the
hand-written formulas they replaced, on fixed data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.calibration import calibration_curve

from govperf_ml.evaluation import m4
from govperf_ml.evaluation.metrics import (
    brier_score, coverage, log_loss, mase_scale, prf, reliability_table, series_interval_score, series_mae,
    series_smape, smape,
)


@pytest.fixture(scope="module")
def panel():
    rng = np.random.default_rng(7)
    ids = np.repeat(["a", "b", "c"], [5, 8, 4])
    y = rng.gamma(2.0, 10.0, len(ids))
    y[[2, 9]] = 0.0
    f = y * rng.uniform(0.7, 1.3, len(ids)) + rng.normal(0, 2, len(ids))
    f[2] = 0.0  # a 0/0 term
    f[9] = 3.0
    lo, hi = f - 8.0, f + 6.0
    return pd.DataFrame({"unique_id": ids, "y": y, "M": f, "M-lo-95": lo, "M-hi-95": hi})


def _smape_terms(y, f):
    denom = np.abs(y) + np.abs(f)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denom == 0, 0.0, 200 * np.abs(y - f) / denom)


def test_series_smape_and_mae_match_the_hand_formulas(panel):
    s = series_smape(panel, ["M"])["M"]
    a = series_mae(panel, ["M"])["M"]
    for uid, g in panel.groupby("unique_id"):
        y, f = g["y"].to_numpy(), g["M"].to_numpy()
        assert s[uid] == pytest.approx(np.mean(_smape_terms(y, f)), rel=1e-12)
        assert a[uid] == pytest.approx(np.mean(np.abs(y - f)), rel=1e-12)


def test_pooled_smape_matches_old_training_formula(panel):
    y, f = panel["y"].to_numpy(), panel["M"].to_numpy()
    old = float(np.nanmean(200 * np.abs(y - f) / np.maximum(np.abs(y) + np.abs(f), 1e-9)))
    assert smape(y, f) == pytest.approx(old, rel=1e-12)
    assert m4.smape(y, f) == pytest.approx(old, rel=1e-12)


def test_interval_score_and_coverage_match_m4_msis_terms(panel):
    score = series_interval_score(panel, ["M"], 95)["M"]
    y, lo, hi = (panel[c].to_numpy() for c in ("y", "M-lo-95", "M-hi-95"))
    terms = (hi - lo) + (2 / 0.05) * ((lo - y) * (y < lo) + (y - hi) * (y > hi))
    old = pd.Series(terms).groupby(panel["unique_id"].to_numpy()).mean()
    np.testing.assert_allclose(score.sort_index().to_numpy(), old.sort_index().to_numpy(), rtol=1e-12)
    assert coverage(y, lo, hi) == pytest.approx(np.mean((y >= lo) & (y <= hi)))


def test_mase_scale_is_the_in_sample_seasonal_naive_mae():
    hist = pd.DataFrame({"unique_id": ["a"] * 6 + ["b"] * 3, "ds": list(range(6)) + list(range(3)),
                         "y": [1.0, 3, 2, 6, 4, np.nan, 5, 5, 8]})
    scale = mase_scale(hist, 2)
    assert scale["a"] == pytest.approx(np.nanmean(np.abs(np.array([2, 6, 4, np.nan]) - np.array([1, 3, 2, 6]))))
    assert scale["b"] == pytest.approx(3.0)
    assert m4.mase([3, 4], [2, 2], [1, 3, 2, 6, 4], 2) == pytest.approx(1.5 / np.mean([1, 3, 2]))


def test_evaluate_m4_matches_the_hand_written_aggregation(panel):
    test = panel.assign(ds=panel.groupby("unique_id").cumcount() + 20)
    train = pd.concat([pd.DataFrame({"unique_id": uid, "ds": np.arange(20), "y": 10 + np.sin(np.arange(20)) * (i + 1)})
                       for i, uid in enumerate("abc")], ignore_index=True)
    table = m4.evaluate_m4(test[["unique_id", "ds", "M", "M-lo-95", "M-hi-95"]], train,
                           test[["unique_id", "ds", "y"]], "weekly", ["M"])
    scale = train.groupby("unique_id")["y"].apply(lambda s: np.mean(np.abs(np.diff(s.to_numpy()))))
    g = test["unique_id"].to_numpy()
    y, f, lo, hi = (test[c].to_numpy() for c in ("y", "M", "M-lo-95", "M-hi-95"))
    sc = test["unique_id"].map(scale).to_numpy()
    is_terms = ((hi - lo) + 40 * ((lo - y) * (y < lo) + (y - hi) * (y > hi))) / sc
    per = pd.DataFrame({"g": g, "s": _smape_terms(y, f), "m": np.abs(y - f) / sc, "i": is_terms}).groupby("g").mean()
    row = table.loc["M"]
    assert row["sMAPE"] == pytest.approx(per["s"].mean(), rel=1e-12)
    assert row["MASE"] == pytest.approx(per["m"].mean(), rel=1e-12)
    assert row["MSIS"] == pytest.approx(per["i"].mean(), rel=1e-9)


def test_brier_and_log_loss_match_the_hand_formulas():
    p = np.array([0.0, 0.1, 0.35, 0.5, 0.8, 1.0, 1.0, 0.02])
    y = np.array([1, 0, 0, 1, 1, 1, 0, 0], dtype=float)
    assert brier_score(p, y) == pytest.approx(np.mean((p - y) ** 2), rel=1e-12)
    assert brier_score([0.2, 0.4], [0, 0]) == pytest.approx(0.1)  # one class only
    pc = np.clip(p, 1e-15, 1 - 1e-15)
    assert log_loss(p, y) == pytest.approx(-np.mean(y * np.log(pc) + (1 - y) * np.log(1 - pc)), rel=1e-12)


def test_reliability_bins_are_left_closed_unlike_sklearn_calibration_curve():
    p = np.array([0.5, 0.5, 0.55, 0.1])
    y = np.array([1, 0, 1, 0])
    table = reliability_table(p, y, n_bins=10)
    assert table.loc[5, "count"] == 3 and table.loc[1, "count"] == 1
    prob_true, _ = calibration_curve(y, p, n_bins=10)
    assert len(prob_true) == 3  # sklearn puts 0.5 in the bin below and 0.1 in the first one


def test_prf():
    assert prf(2, 1, 1) == {"precision": 2 / 3, "recall": 2 / 3, "f1": pytest.approx(2 / 3), "tp": 2, "fp": 1, "fn": 1}
    assert prf(0, 0, 0)["f1"] == 0.0
