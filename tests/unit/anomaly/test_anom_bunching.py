"""Values bunching just past a target (suspected misreporting)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from govperf_ml.anomaly import AnomalyPipeline
from govperf_ml.anomaly.bunching import TargetBunchingDetector
from govperf_ml.contracts import DataContractError
from govperf_ml.postprocess.threshold import ScoreThreshold


def flagged(det, out):
    """The detector only scores; the threshold stage at its level flags values just past."""
    return ScoreThreshold.of(det).predict(out["just_past_score"])

MONTHS = pd.date_range("2021-01-01", periods=48, freq="MS")
START = pd.Timestamp("2024-01-01")


def series(uid, bunched: bool, *, direction="higher", seed=0, target=82.0):
    """Three honest years around 80 (changes of ~1 a month); the target year honest or bunched."""
    rng = np.random.default_rng(seed)
    y = 80 + rng.normal(0, 1.0, len(MONTHS))
    good = 1 if direction == "higher" else -1
    tgt = target if direction == "higher" else 160 - target
    y = y if direction == "higher" else 160 - y
    if bunched:
        y[36:] = tgt + good * rng.uniform(0.05, 0.4, 12)
    frame = pd.DataFrame({"unique_id": uid, "ds": MONTHS, "y": np.round(y, 2)})
    t = {"unique_id": uid, "target": tgt, "start": START, "deadline": pd.Timestamp("2024-12-31"),
         "direction": direction, "aggregation": "last"}
    return frame, t


def panel(n=20):
    frames, targets = [], []
    for i in range(n):
        direction = "lower" if i % 2 else "higher"
        f, t = series(f"u{i}|rate", bunched=i < 4, direction=direction, seed=i)
        frames.append(f)
        targets.append(t)
    return pd.concat(frames, ignore_index=True), pd.DataFrame(targets)


def test_bunched_series_are_flagged_honest_ones_are_not():
    df, tg = panel()
    det = TargetBunchingDetector().fit()
    out = det.score_frame(df, tg)
    flag = flagged(det, out)
    assert set(out.loc[flag, "unique_id"]) == {"u0|rate", "u1|rate", "u2|rate", "u3|rate"}  # both directions
    first = out[flag].groupby("unique_id")["ds"].min()
    assert (first <= START + pd.DateOffset(months=6)).all()  # within half a year
    assert (out.loc[out["ds"] < START, "anomaly_score"] == 0).all()  # only inside the target window
    assert (out["just_past_score"] <= out["anomaly_score"]).all()
    row = out[flag].iloc[0]
    assert 0 <= row["margin"] <= 1 and row["in_band"] >= 3 and row["target"] in set(tg["target"])


def test_causal_future_values_do_not_change_past_scores():
    df, tg = panel(6)
    det = TargetBunchingDetector().fit()
    full = det.score_frame(df, tg)
    cut = df[df["ds"] <= "2024-06-01"]
    part = det.score_frame(cut, tg)
    merged = part.merge(full, on=["unique_id", "ds"], suffixes=("_p", "_f"))
    np.testing.assert_allclose(merged["anomaly_score_p"], merged["anomaly_score_f"])
    np.testing.assert_allclose(merged["just_past_score_p"], merged["just_past_score_f"])


def test_what_is_not_scored():
    df, tg = panel(4)
    det = TargetBunchingDetector().fit()
    assert det.score_frame(df, tg.assign(aggregation="sum"))["anomaly_score"].eq(0).all()  # yearly totals
    assert det.score_frame(df, tg.iloc[:0])["anomaly_score"].eq(0).all()
    short = df[df["ds"] >= "2023-10-01"]  # three months before the start: too little history
    assert not flagged(det, det.score_frame(short, tg)).any()
    gap = df.copy()
    gap.loc[(gap["unique_id"] == "u0|rate") & (gap["ds"] >= START), "y"] = np.nan
    out = det.score_frame(gap, tg)
    assert not flagged(det, out)[out["unique_id"] == "u0|rate"].any()  # missing values are not "just past"


@pytest.mark.parametrize("bad", [{"band": 0}, {"prior_floor": 1.5}, {"window": 1}, {"threshold": float("nan")}])
def test_bad_parameters(bad):
    with pytest.raises(DataContractError) as err:
        TargetBunchingDetector(**bad).fit()
    assert err.value.field == next(iter(bad))


def test_bad_targets_name_the_field():
    df, tg = panel(2)
    with pytest.raises(DataContractError) as err:
        TargetBunchingDetector().fit().score_frame(df, tg.assign(direction="up"))
    assert err.value.field == "direction"


def test_pipeline_raises_suspected_misreporting_with_a_reason():
    df, tg = panel()
    dirs = dict(zip(tg["unique_id"], tg["direction"]))
    model = AnomalyPipeline().fit(df)
    out = model.score(df, directions=dirs, targets=tg)
    hit = out[out["detectors"].apply(lambda d: "bunching" in d)]
    assert len(hit) and set(hit["kind"]) == {"suspected_misreporting"}
    assert set(hit["unique_id"]) <= {"u0|rate", "u1|rate", "u2|rate", "u3|rate"}
    assert "target" in hit["reason_en"].iloc[0] and "目标" in hit["reason_zh"].iloc[0]
    without = model.score(df, directions=dirs)
    assert not without["detectors"].apply(lambda d: "bunching" in d).any()
