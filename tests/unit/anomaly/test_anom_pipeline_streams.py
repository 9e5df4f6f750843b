"""High-frequency streams in the served pipeline go to the stream detector."""

from __future__ import annotations

import numpy as np
import pandas as pd

from govperf_ml.alerts.explain import explain
from govperf_ml.anomaly import AnomalyPipeline


def frames():
    rng = np.random.default_rng(0)
    ts = pd.date_range("2024-01-01", periods=288 * 8, freq="5min")
    minute = np.asarray(ts.hour * 60 + ts.minute)
    y = 100 + 20 * np.sin(2 * np.pi * minute / 1440) + rng.normal(0, 2, len(ts))
    y[2000] = 400.0  # far outside anything seen
    stream = pd.DataFrame({"unique_id": "hall|visits_5min", "ds": ts, "y": y})
    months = pd.date_range("2020-01-01", periods=48, freq="MS")
    m = 50 + rng.normal(0, 1, 48)
    m[40] = 20.0
    monthly = pd.DataFrame({"unique_id": "D01|rate", "ds": months, "y": m})
    return pd.concat([stream, monthly], ignore_index=True)


def test_streams_use_the_stream_detector_and_monthly_series_the_seasonal_one():
    df = frames()
    out = AnomalyPipeline().fit(df).score(df)
    hf = out[out["unique_id"] == "hall|visits_5min"]
    flagged = hf[hf["is_anomaly"]]
    assert pd.Timestamp("2024-01-07 22:40") in set(flagged["ds"])  # row 2000
    assert all("stream" in d for d in flagged["detectors"] if d != ["scale_change"])
    assert not any("seasonal_zscore" in d for d in hf["detectors"])
    assert hf["anomaly_score"].between(0, 1).all()
    assert hf["lo"].isna().all() and hf["expected"].iloc[1:].between(60, 140).all()  # recent median, no band
    spike = flagged[flagged["ds"] == pd.Timestamp("2024-01-07 22:40")].iloc[0]
    assert spike["kind"] == "performance_anomaly" and "400" in spike["reason_en"] and "400" in spike["reason_zh"]
    monthly = out[(out["unique_id"] == "D01|rate") & out["is_anomaly"]]
    assert "seasonal_zscore" in monthly["detectors"].iloc[0]


def test_stream_can_be_switched_off():
    df = frames()
    out = AnomalyPipeline(stream=False).fit(df).score(df)
    hf = out[out["unique_id"] == "hall|visits_5min"]
    assert not any("stream" in d for d in hf["detectors"])


def test_short_high_frequency_series_keep_the_main_detector():
    df = frames()
    short = df[df["unique_id"] == "hall|visits_5min"].head(200)  # under min_history
    out = AnomalyPipeline().fit(df).score(short)
    assert not any("stream" in d for d in out["detectors"])


def test_numbers_in_reasons_are_written_out():
    en, zh = explain("deviation", observed=19221.0, expected=15000.0, lo=12000.0, hi=18000.0, z=4.2)
    assert "19,221" in en and "15,000" in en and "e+0" not in en + zh
    en, _ = explain("deviation", observed=0.4567, expected=0.5, lo=0.4, hi=0.6, z=-3.9)
    assert "0.4567" in en
