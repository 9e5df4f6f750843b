import numpy as np
import pandas as pd
import pytest

from govperf_ml.anomaly import AnomalyPipeline, SeasonalRobustZScore
from govperf_ml.contracts import DataContractError
from tests.conftest import make_panel


def test_spike_and_dip_are_flagged_direction_aware():
    df = make_panel()
    when = df["ds"].unique()[50]
    df.loc[(df.unique_id == "s0") & (df.ds == when), "y"] = 10.0  # a collapse
    df.loc[(df.unique_id == "s1") & (df.ds == when), "y"] = 90.0  # a jump
    model = AnomalyPipeline().fit(df)
    out = model.score(df, directions={"s0": "higher", "s1": "higher"})
    flagged = out[out.is_anomaly]
    assert set(flagged.unique_id) == {"s0"}  # the improvement of s1 does not alert
    row = flagged.iloc[0]
    assert row["kind"] == "performance_anomaly" and row["severity"] == "high"
    assert "below the expected" in row["reason_en"] and "低于" in row["reason_zh"]
    assert row["lo"] < row["expected"] < row["hi"]
    both = model.score(df)  # without directions both alert
    assert set(both[both.is_anomaly].unique_id) == {"s0", "s1"}


def test_missing_and_blank_as_zero_are_data_quality():
    df = make_panel()
    when = df["ds"].unique()
    df.loc[(df.unique_id == "s2") & (df.ds == when[40]), "y"] = np.nan
    df.loc[(df.unique_id == "s3") & (df.ds == when[45]), "y"] = 0.0
    out = AnomalyPipeline().fit(df).score(df)
    dq = out[out.kind == "data_quality"]
    assert set(zip(dq.unique_id, dq.ds)) == {("s2", when[40]), ("s3", when[45])}
    assert "blank" in dq[dq.unique_id == "s3"].reason_en.iloc[0]


def test_causal_future_does_not_change_past_scores():
    df = make_panel()
    cut = df["ds"].unique()[40]
    full = SeasonalRobustZScore().fit().score_frame(df)
    past = SeasonalRobustZScore().fit().score_frame(df[df.ds <= cut])
    merged = past.merge(full, on=["unique_id", "ds"], suffixes=("_p", "_f"))
    np.testing.assert_allclose(merged["z_p"], merged["z_f"])


def test_threshold_tuned_on_labels():
    df = make_panel(n_series=6)
    when = df["ds"].unique()[48:52]
    labels = []
    for i, w in enumerate(when):
        df.loc[(df.unique_id == f"s{i}") & (df.ds == w), "y"] -= 6.0
        labels.append({"unique_id": f"s{i}", "ds": w})
    model = AnomalyPipeline().fit(df, pd.DataFrame(labels))
    assert model.rule_.threshold_ in model.rule_.grid


def test_bad_direction_is_contract_error():
    df = make_panel()
    model = AnomalyPipeline().fit(df)
    with pytest.raises(DataContractError, match="directions"):
        model.score(df, directions={"s0": "up"})


def test_unfitted_raises():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        AnomalyPipeline().score(make_panel())
