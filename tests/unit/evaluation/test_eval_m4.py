"""M4 measures on hand-computed arrays, Naive2's pieces, the loader, and the published Naive2."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from govperf_ml.contracts import DataContractError
from govperf_ml.evaluation.m4 import (
    M4_FREQS,
    coverage,
    evaluate_m4,
    load_m4,
    mase,
    msis,
    naive2_forecast,
    owa,
    seasonality_test,
    smape,
)

M4_DIR = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "m4_hourly_weekly"


def test_smape_hand_computed():
    # terms: 200*2/(10+12) = 18.1818..., 200*0/40 = 0, 200*5/(5+10) = 66.666...
    got = smape([10, 20, 5], [12, 20, 10])
    assert got == pytest.approx((400 / 22 + 0 + 1000 / 15) / 3)
    assert smape([0.0], [0.0]) == 0.0


def test_mase_hand_computed():
    insample = [1, 3, 2, 4, 3]
    # m=1: |3-1|,|2-3|,|4-2|,|3-4| -> mean 1.5 ; errors |5-4|, |6-4| -> mean 1.5
    assert mase([5, 6], [4, 4], insample, 1) == pytest.approx(1.0)
    # m=2: |2-1|,|4-3|,|3-2| -> mean 1 ; MAE 1.5
    assert mase([5, 6], [4, 4], insample, 2) == pytest.approx(1.5)
    with pytest.raises(ValueError, match="m=5"):
        mase([1], [1], insample, 5)


def test_msis_and_coverage_hand_computed():
    insample = [1, 3, 2, 4, 3]  # scale 1.5 at m=1
    y, lo, hi = np.array([5.0, 10.0, 0.0]), np.array([4.0, 4.0, 1.0]), np.array([6.0, 8.0, 3.0])
    # widths 2, 4, 2; penalties 0, 40*(10-8)=80, 40*(1-0)=40 -> mean (2+84+42)/3 = 42.666...
    assert msis(y, lo, hi, insample, 1) == pytest.approx((128 / 3) / 1.5)
    assert coverage(y, lo, hi) == pytest.approx(1 / 3)


def test_owa():
    assert owa(10.0, 2.0, 20.0, 1.0) == pytest.approx(0.5 * (0.5 + 2.0))
    assert owa(7.0, 3.0, 7.0, 3.0) == 1.0


def test_seasonality_test():
    t = np.arange(240)
    seasonal = 100 + 20 * np.sin(2 * np.pi * t / 24) + np.random.default_rng(0).normal(0, 1, 240)
    noise = 100 + np.random.default_rng(1).normal(0, 1, 240)
    assert seasonality_test(seasonal, 24) is False  # 10*log10(240) = 23.8 < 24: R's acf stops first
    assert seasonality_test(np.r_[seasonal, seasonal], 24) is True
    assert seasonality_test(np.r_[noise, noise[::-1]], 24) is False
    assert seasonality_test(seasonal[:60], 24) is False  # shorter than 3 m
    assert seasonality_test(np.ones(100), 4) is False  # constant: acf undefined


def test_naive2_reseasonalises_a_multiplicative_pattern():
    pattern = np.array([0.8, 1.2, 1.0, 1.0])
    x = np.tile(pattern, 10) * 50.0  # flat level, exact seasonal indices
    train = pd.DataFrame({"unique_id": "a", "ds": np.arange(len(x)), "y": x})
    fc = naive2_forecast(train, h=6, m=4)
    assert list(fc.columns) == ["unique_id", "ds", "Naive2"]
    assert fc["ds"].tolist() == list(range(40, 46))
    np.testing.assert_allclose(fc["Naive2"], 50.0 * pattern[np.arange(40, 46) % 4])
    # non-seasonal period: the last value
    fc1 = naive2_forecast(train, h=3, m=1)
    np.testing.assert_allclose(fc1["Naive2"], [x[-1]] * 3)


def _write_wide(path: Path, rows: dict[str, list[float]]) -> None:
    width = max(len(v) for v in rows.values())
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [",".join(f'"V{i + 1}"' for i in range(width + 1))]
    for sid, vals in rows.items():
        cells = [f'"{sid}"'] + [repr(float(v)) for v in vals] + [""] * (width - len(vals))
        lines.append(",".join(cells))
    path.write_text("\n".join(lines) + "\n")


def test_load_m4_long_frames(tmp_path):
    _write_wide(tmp_path / "Train" / "Quarterly-train.csv", {"Q1": [1, 2, 3, 4, 5, 6], "Q2": [7, 8, 9]})
    _write_wide(tmp_path / "Test" / "Quarterly-test.csv", {"Q1": [7, 8], "Q2": [10, 11]})
    train, test = load_m4(tmp_path, "quarterly")
    assert list(train.columns) == ["unique_id", "ds", "y"]
    assert train.groupby("unique_id").size().to_dict() == {"Q1": 6, "Q2": 3}
    assert train.loc[train.unique_id == "Q2", "ds"].tolist() == [0, 1, 2]
    assert test.loc[test.unique_id == "Q1", "ds"].tolist() == [6, 7]
    assert test.loc[test.unique_id == "Q2", ["ds", "y"]].values.tolist() == [[3, 10.0], [4, 11.0]]
    with pytest.raises(ValueError, match="unknown M4 frequency"):
        load_m4(tmp_path, "fortnightly")


def _tiny_panel():
    rng = np.random.default_rng(0)
    train, test = [], []
    for sid in ["a", "b"]:
        x = 100 + np.cumsum(rng.normal(size=30))
        train.append(pd.DataFrame({"unique_id": sid, "ds": np.arange(26), "y": x[:26]}))
        test.append(pd.DataFrame({"unique_id": sid, "ds": np.arange(26, 30), "y": x[26:]}))
    return pd.concat(train, ignore_index=True), pd.concat(test, ignore_index=True)


def test_evaluate_m4_perfect_and_naive():
    train, test = _tiny_panel()
    fc = test.rename(columns={"y": "oracle"}).copy()
    fc["oracle-lo-95"] = fc["oracle"] - 1
    fc["oracle-hi-95"] = fc["oracle"] + 1
    last = train.groupby("unique_id")["y"].last()
    fc["naive"] = fc["unique_id"].map(last)
    table = evaluate_m4(fc, train, test, "yearly", ["oracle", "naive"])
    assert list(table.columns) == ["sMAPE", "MASE", "OWA", "coverage95", "MSIS"]
    assert table.loc["oracle", "sMAPE"] == 0.0 and table.loc["oracle", "OWA"] == 0.0
    assert table.loc["oracle", "coverage95"] == 1.0
    assert table.loc["oracle", "MSIS"] > 0
    # with m = 1 Naive2 is the naive forecast
    assert table.loc["naive", "OWA"] == pytest.approx(1.0)
    assert np.isnan(table.loc["naive", "MSIS"])
    expected = np.mean(
        [mase(test.y[test.unique_id == s], [last[s]] * 4, train.y[train.unique_id == s], 1) for s in "ab"]
    )
    assert table.loc["Naive2", "MASE"] == pytest.approx(expected)


def test_evaluate_m4_names_series_without_forecasts():
    train, test = _tiny_panel()
    fc = test.rename(columns={"y": "model"})
    fc = fc[fc.unique_id == "a"]
    with pytest.raises(DataContractError, match=r"series \['b'\]"):
        evaluate_m4(fc, train, test, "yearly", ["model"])


@pytest.mark.parametrize(("freq", "smape_n2", "mase_n2"), [("hourly", 18.383, 2.395), ("weekly", 9.161, 2.777)])
def test_naive2_reproduces_published_m4(freq, smape_n2, mase_n2):
    if not (M4_DIR / "Train" / f"{freq.capitalize()}-train.csv").exists():
        pytest.skip("M4 data not available under ../shared/data/m4_hourly_weekly")
    train, test = load_m4(M4_DIR, freq)
    h, m = M4_FREQS[freq]
    fc = naive2_forecast(train, h, m).rename(columns={"Naive2": "mine"})
    table = evaluate_m4(fc, train, test, freq, ["mine"])
    assert table.loc["Naive2", "sMAPE"] == pytest.approx(smape_n2, abs=5e-4)
    assert table.loc["Naive2", "MASE"] == pytest.approx(mase_n2, abs=5e-4)
    assert table.loc["mine", "OWA"] == pytest.approx(1.0)
