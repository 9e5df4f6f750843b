"""Panel checks: causal, order-free, monotone in their threshold, and each catches its own pattern."""

import numpy as np
import pandas as pd
import pytest

from govperf_ml.anomaly import AnomalyPipeline
from govperf_ml.anomaly.pipeline import all_checks
from govperf_ml.anomaly.quality import (
    EndOfPeriodJumpDetector,
    FlatLineDetector,
    PeerDetector,
    ScaleChangeDetector,
    SmoothnessDetector,
)
from govperf_ml.postprocess.threshold import ScoreThreshold


def _flags(det, frame):
    """The detector only scores; the threshold stage at its level decides."""
    return ScoreThreshold.of(det).predict(frame["anomaly_score"])


def _panel(n_units=6, n=48, seed=0, indicator="rate"):
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2021-01-01", periods=n, freq="MS")
    parts = []
    for i in range(n_units):
        y = 80 + i + 2 * np.sin(np.arange(n) * 2 * np.pi / 12) + rng.normal(0, 1.0, n)
        parts.append(pd.DataFrame({"unique_id": f"D{i:02d}|{indicator}", "ds": ds, "y": np.round(y, 2)}))
    return pd.concat(parts, ignore_index=True)


def _set(df, uid, idx, values):
    ds = np.atleast_1d(np.sort(df["ds"].unique())[idx])
    m = (df["unique_id"] == uid) & df["ds"].isin(ds)
    df.loc[m, "y"] = values
    return df


def _flat(df):
    uid = "D01|rate"
    v = df.loc[(df.unique_id == uid), "y"].iloc[29]
    return _set(df, uid, slice(30, 36), v), uid, 32


def _scale(df):
    uid = "D02|rate"
    y = df.loc[df.unique_id == uid, "y"].to_numpy()
    return _set(df, uid, slice(30, 33), y[30:33] / 100), uid, 30


def _eop(df):
    uid = "D03|rate"
    dec = int(np.flatnonzero(pd.DatetimeIndex(np.sort(df.ds.unique())).month == 12)[-1])
    y = df.loc[df.unique_id == uid, "y"].to_numpy()
    return _set(df, uid, dec, y[dec - 1] + 12), uid, dec


def _smooth(df):
    uid = "D04|rate"
    y = df.loc[df.unique_id == uid, "y"].to_numpy()
    smooth = np.round(y[35] + 0.05 * np.arange(1, 13), 2)
    return _set(df, uid, slice(36, 48), smooth), uid, 47


def _peer(df):
    uid = "D05|rate"
    y = df.loc[df.unique_id == uid, "y"].to_numpy()
    return _set(df, uid, slice(36, 42), y[36:42] + 30), uid, 37


CASES = [
    (FlatLineDetector, _flat),
    (ScaleChangeDetector, _scale),
    (EndOfPeriodJumpDetector, _eop),
    (SmoothnessDetector, _smooth),
    (PeerDetector, _peer),
]


@pytest.mark.parametrize("cls,inject", CASES, ids=[c[0].__name__ for c in CASES])
def test_catches_its_own_pattern(cls, inject):
    df, uid, at = inject(_panel())
    det = cls().fit(df)
    out = det.score_frame(df)
    assert "flag" not in out.columns  # detectors score, rules decide
    when = np.sort(df.ds.unique())[at]
    hit = out[(out.unique_id == uid) & (out.ds <= when) & _flags(det, out)]
    assert len(hit), f"{cls.__name__} missed its pattern"
    assert _flags(det, det.score_frame(_panel())).mean() < 0.02


@pytest.mark.parametrize("cls,inject", CASES, ids=[c[0].__name__ for c in CASES])
def test_causal_and_row_order_free(cls, inject):
    df, _, _ = inject(_panel())
    det = cls().fit()
    full = det.score_frame(df)
    cut = np.sort(df.ds.unique())[38]
    past = det.score_frame(df[df.ds <= cut])
    m = past.merge(full, on=["unique_id", "ds"], suffixes=("_p", "_f"))
    np.testing.assert_allclose(m["anomaly_score_p"], m["anomaly_score_f"])
    shuffled = det.score_frame(df.sample(frac=1.0, random_state=0))
    pd.testing.assert_frame_equal(full, shuffled)


@pytest.mark.parametrize("cls,inject", CASES, ids=[c[0].__name__ for c in CASES])
def test_stricter_threshold_never_adds_flags(cls, inject):
    df, _, _ = inject(_panel())
    det = cls().fit()
    lenient = _flags(det, det.score_frame(df))
    strict_det = cls()
    strict_det.set_params(threshold=strict_det.threshold * 1.1 + 0.01)
    strict = _flags(strict_det, strict_det.fit().score_frame(df))
    assert not (strict & ~lenient).any()


def test_pipeline_gives_kinds_and_bilingual_reasons():
    df, flat_uid, _ = _flat(_panel())
    df, scale_uid, _ = _scale(df)
    out = AnomalyPipeline().fit(df).score(df, directions={u: "higher" for u in df.unique_id.unique()})
    dq = out[out.kind == "data_quality"]
    assert {flat_uid, scale_uid} <= set(dq.unique_id)
    flat = dq[dq.unique_id == flat_uid].iloc[0]
    assert "unchanged" in flat.reason_en and "相同" in flat.reason_zh
    scale = dq[dq.unique_id == scale_uid].iloc[0]
    assert "scale" in scale.reason_en and "单位" in scale.reason_zh
    assert list(out.columns) == ["unique_id", "ds", "y", "expected", "lo", "hi", "anomaly_score", "is_anomaly",
                                 "kind", "severity", "reason_en", "reason_zh", "detectors"]
    assert "flat_line" in flat.detectors and "scale_change" in scale.detectors


def test_pipeline_end_of_period_improvement_is_misreporting_only_if_direction_is_good():
    df, uid, at = _eop(_panel())
    when = np.sort(df.ds.unique())[at]
    good = AnomalyPipeline(checks=all_checks()).fit(df).score(df, directions={uid: "higher"})
    row = good[(good.unique_id == uid) & (good.ds == when)].iloc[0]
    assert row.kind == "suspected_misreporting" and "期末" in row.reason_zh
    bad = AnomalyPipeline(checks=all_checks()).fit(df).score(df, directions={uid: "lower"})
    row = bad[(bad.unique_id == uid) & (bad.ds == when)].iloc[0]
    assert row.kind == "performance_anomaly"  # a jump in the bad direction is a plain anomaly


def test_checks_can_be_switched_off():
    df, uid, _ = _flat(_panel())
    out = AnomalyPipeline(checks={}).fit(df).score(df)
    assert not ((out.unique_id == uid) & (out.kind == "data_quality")).any()
