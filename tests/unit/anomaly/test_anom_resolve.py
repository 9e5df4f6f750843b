"""The resolver: one reason per value, by precedence; kinds, severities and detector names from findings."""

import numpy as np
import pandas as pd

from govperf_ml.alerts.resolve import Finding, resolve


def _frame(n=4):
    return pd.DataFrame({"y": [10.0, 0.0, 30.0, 40.0][:n], "expected": 20.0, "lo": 15.0, "hi": 25.0})


def test_data_quality_beats_alarms_and_alarms_beat_other_checks():
    b = lambda *v: np.array(v, dtype=bool)  # noqa: E731
    findings = [
        Finding("blank_as_zero", b(0, 1, 0, 0), "blank_as_zero"),
        Finding("seasonal_zscore", b(1, 1, 1, 0), "deviation", alarm=True),
        Finding("flat_line", b(1, 0, 0, 0), "flat_line"),
        Finding("peer", b(0, 0, 1, 1), "peer", detail=lambda i: {"detail": 5.0}),
    ]
    z = np.array([-7.0, -2.0, 5.0, 0.5])
    out = resolve(_frame(), findings, z)
    assert list(out["kind"]) == ["data_quality", "data_quality", "performance_anomaly", "peer_outlier"]
    assert list(out["severity"]) == ["medium", "medium", "medium", "medium"]
    assert out["detectors"].tolist() == [["seasonal_zscore", "flat_line"], ["blank_as_zero", "seasonal_zscore"],
                                         ["seasonal_zscore", "peer"], ["peer"]]
    assert "unchanged" in out["reason_en"][0] and "peer comparison" in out["reason_en"][3]
    assert out["is_anomaly"].all()


def test_nothing_fired_is_no_alert_and_severity_follows_the_finding():
    findings = [Finding("stream", np.array([True, False]), "likelihood", alarm=True,
                        severity=np.array([6.0, 0.0]), detail=lambda i: {"detail": 5.0})]
    out = resolve(_frame(2), findings, np.zeros(2))
    assert out["severity"].tolist() == ["high", None] and out["kind"].tolist() == ["performance_anomaly", None]
    assert out["reason_en"][1] == "" and out["detectors"][1] == []
    assert "10^-5.0" in out["reason_en"][0]
