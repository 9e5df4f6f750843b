"""Absent periods and units errors are data-quality alerts that say what they are."""

import numpy as np
import pandas as pd
import pytest

from govperf_ml.anomaly import AnomalyPipeline
from govperf_ml.anomaly.gaps import absent_periods
from govperf_ml.anomaly.units import UnitsErrorDetector


def _panel(n_units=5, n=48, seed=0):
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2021-01-01", periods=n, freq="MS")
    return pd.concat([pd.DataFrame({"unique_id": f"D{i:02d}|rate", "ds": ds,
                                    "y": 100 + 10 * np.sin(np.arange(n) * 2 * np.pi / 12) + rng.normal(0, 2, n)})
                      for i in range(n_units)], ignore_index=True)


def _scale(df, uid, start, end, factor):
    m = (df.unique_id == uid) & df.ds.between(start, end)
    return df.assign(y=np.where(m, df.y * factor, df.y))


def test_absent_periods_on_regular_grids_only():
    month = pd.DataFrame({"unique_id": "m", "ds": pd.date_range("2020-01-31", periods=12, freq="ME").delete([3, 4]),
                          "y": 1.0})
    quarter = pd.DataFrame({"unique_id": "q", "ds": pd.date_range("2020-01-01", periods=8, freq="QS").delete(2),
                            "y": 1.0})
    day = pd.DataFrame({"unique_id": "d", "ds": pd.date_range("2020-01-01", periods=30).delete(5), "y": 1.0})
    got = absent_periods(pd.concat([month, quarter, day]))
    assert [(u, f"{d:%Y-%m-%d}") for u, d in got.itertuples(index=False)] == [
        ("m", "2020-04-30"), ("m", "2020-05-31"), ("q", "2020-07-01")]


def test_an_absent_month_is_reported_with_its_period():
    df = _panel()
    df = df[~((df.unique_id == "D02|rate") & (df.ds == "2024-03-01"))]
    out = AnomalyPipeline().fit(df).score(df)
    assert len(out) == len(df) + 1
    row = out[(out.unique_id == "D02|rate") & (out.ds == "2024-03-01")].iloc[0]
    assert row.is_anomaly and row.kind == "data_quality" and np.isnan(row.y)
    assert "No value reported for 2024-03" in row.reason_en and "2024-03 未报送" in row.reason_zh
    assert row.detectors == ["absent"]
    assert AnomalyPipeline(absent=False).fit(df).score(df).shape[0] == len(df)


@pytest.mark.parametrize("factor, words", [(10, "about 10×"), (0.1, "about 1/10 of"), (100, "about 100×")])
def test_units_error_is_named_with_its_factor_and_start(factor, words):
    df = _scale(_panel(), "D01|rate", "2023-05-01", "2023-07-01", factor)
    out = AnomalyPipeline().fit(df).score(df)
    run = out[(out.unique_id == "D01|rate") & out.ds.between("2023-05-01", "2023-07-01")]
    assert run.is_anomaly.all() and (run.kind == "data_quality").all()
    assert run.reason_en.str.contains(f"{words} the series' level").all()
    assert run.reason_en.str.contains("from 2023-05: likely a units error").all()
    assert run.detectors.map(lambda d: "scale_change" in d).all()


def test_a_genuine_level_change_is_not_a_units_error():
    df = _scale(_panel(), "D03|rate", "2023-05-01", "2024-12-01", 3.0)
    out = AnomalyPipeline().fit(df).score(df)
    mine = out[(out.unique_id == "D03|rate") & out.is_anomaly]
    assert len(mine) and mine.kind.iloc[0] == "performance_anomaly" and "data_quality" not in set(mine.kind)
    assert not mine.reason_en.str.contains("units error").any()


def test_units_detector_needs_a_clear_power_of_ten():
    det = UnitsErrorDetector().fit()
    y = np.array([1000.0, 500.0, 10.0, 1000.0, 300.0])
    e = np.array([100.0, 100.0, 100.0, 100.0, 100.0])
    s = np.array([2.0, 2.0, 2.0, 40.0, 2.0])  # the 4th is too noisy to tell ×10 from ×5
    res = det.score_values(y, e, s)
    assert res["power"].tolist() == [1.0, 0.0, -1.0, 0.0, 0.0]
    strict = UnitsErrorDetector(threshold=2.0).fit()
    assert strict.threshold > det.threshold  # the decision is ScoreThreshold's, on this score
