"""Probability metrics, calibration, and event-level F1 on panels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govperf_ml.contracts import DataContractError
from govperf_ml.evaluation.metrics import (
    brier_score,
    brier_skill_score,
    event_f1,
    expected_calibration_error,
    log_loss,
    reliability_table,
    roc_auc,
)


def test_brier_and_skill_hand_computed():
    p, y = [0.9, 0.2, 0.5, 0.0], [1, 0, 1, 0]
    assert brier_score(p, y) == pytest.approx((0.01 + 0.04 + 0.25 + 0.0) / 4)
    # climatology reference (base rate 0.5): BS_ref = 0.25
    assert brier_skill_score(p, y) == pytest.approx(1 - 0.075 / 0.25)
    assert brier_skill_score([0.5] * 4, y) == pytest.approx(0.0)
    assert brier_skill_score(p, y, p_ref=0.3) == pytest.approx(1 - 0.075 / np.mean((0.3 - np.array(y)) ** 2))
    assert np.isnan(brier_skill_score(p, y, p_ref=y))


def test_log_loss_is_clipped_and_matches_definition():
    assert np.isfinite(log_loss([0.0, 1.0], [1, 0]))
    assert log_loss([0.8, 0.3], [1, 0]) == pytest.approx(-(np.log(0.8) + np.log(0.7)) / 2)


def test_roc_auc():
    assert roc_auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]) == pytest.approx(0.75)
    assert np.isnan(roc_auc([0.1, 0.2], [1, 1]))


def test_input_checks():
    with pytest.raises(ValueError, match="length"):
        brier_score([0.1, 0.2], [1])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        brier_score([1.2], [1])
    with pytest.raises(ValueError, match="0 or 1"):
        brier_score([0.2], [2])


def test_ece_near_zero_when_calibrated():
    rng = np.random.default_rng(42)
    p = rng.uniform(size=200_000)
    y = rng.uniform(size=p.size) < p
    assert expected_calibration_error(p, y) < 0.01
    # systematically over-confident forecasts are not calibrated
    assert expected_calibration_error(np.clip(p * 1.5, 0, 1), y) > 0.1


def test_reliability_table_hand_computed():
    p = [0.05, 0.15, 0.12, 0.95, 1.0]
    y = [0, 1, 0, 1, 1]
    table = reliability_table(p, y, n_bins=10)
    assert list(table.columns) == ["bin", "p_mean", "y_rate", "count"]
    assert table["count"].tolist() == [1, 2, 0, 0, 0, 0, 0, 0, 0, 2]
    assert table.loc[1, "p_mean"] == pytest.approx(0.135)
    assert table.loc[1, "y_rate"] == pytest.approx(0.5)
    assert np.isnan(table.loc[2, "p_mean"])
    ece = (1 * 0.05 + 2 * abs(0.135 - 0.5) + 2 * abs(0.975 - 1.0)) / 5
    assert expected_calibration_error(p, y, n_bins=10) == pytest.approx(ece)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(0, 1, allow_nan=False), st.booleans()),
        min_size=1,
        max_size=50,
    ),
    st.randoms(use_true_random=False),
)
def test_brier_in_unit_interval_and_order_free(pairs, rnd):
    p = np.array([a for a, _ in pairs])
    y = np.array([b for _, b in pairs], dtype=int)
    score = brier_score(p, y)
    assert 0.0 <= score <= 1.0
    idx = list(range(len(p)))
    rnd.shuffle(idx)
    assert brier_score(p[idx], y[idx]) == pytest.approx(score, abs=1e-12)


def _panel():
    ds = pd.date_range("2024-01-01", periods=20, freq="D")
    pred = pd.DataFrame({"unique_id": np.repeat(["a", "b"], 20), "ds": np.tile(ds, 2), "flag": False})
    truth = pd.DataFrame(
        {
            "unique_id": ["a"] * 3 + ["a"] * 2 + ["b"] * 2,
            "ds": list(ds[[5, 6, 7]]) + list(ds[[14, 15]]) + list(ds[[10, 11]]),
            "event_id": [1, 1, 1, 2, 2, 7, 7],
        }
    )
    return ds, pred, truth


def test_event_f1_hand_computed():
    ds, pred, truth = _panel()

    def flag(sid, days):
        pred.loc[(pred.unique_id == sid) & pred.ds.isin(ds[days]), "flag"] = True

    flag("a", [6, 7])  # event a/1 detected (twice: still one TP)
    flag("a", [0, 1, 2])  # one run outside events: one FP
    flag("b", [12])  # one row after b/7: one FP without tolerance
    flag("b", [18])  # another FP
    got = event_f1(pred, truth)
    assert (got["tp"], got["fp"], got["fn"]) == (1, 3, 2)
    assert got["precision"] == pytest.approx(0.25)
    assert got["recall"] == pytest.approx(1 / 3)

    # b/7 starts on day 10: with tolerance 2 the flag on day 12 detects it
    got = event_f1(pred, truth, tolerance=2)
    assert (got["tp"], got["fp"], got["fn"]) == (2, 2, 1)
    assert got["f1"] == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))


def test_event_f1_edge_cases():
    ds, pred, truth = _panel()
    got = event_f1(pred, truth)  # no flags at all
    assert (got["tp"], got["fp"], got["fn"], got["precision"], got["f1"]) == (0, 0, 3, 0.0, 0.0)
    # a full panel with NaN event ids on normal rows is accepted
    full = pred[["unique_id", "ds"]].merge(truth, how="left")
    assert event_f1(pred, full)["fn"] == 3
    with pytest.raises(DataContractError, match="flag"):
        event_f1(pred.drop(columns="flag"), truth)
