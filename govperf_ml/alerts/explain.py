"""Readable, bilingual reasons for alerts, and how severe an alert is."""

from __future__ import annotations

import math

ALERT_KINDS = ("performance_anomaly", "data_quality", "suspected_misreporting", "peer_outlier", "target_risk")
SEVERITIES = ("low", "medium", "high")


def severity_of(z: float, *, medium=4.5, high=6.0) -> str:
    a = abs(z) if z is not None and not math.isnan(z) else 0.0
    return "high" if a >= high else "medium" if a >= medium else "low"


def _num(x: float) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return f"{x:,.4g}" if abs(x) < 1e5 else f"{x:,.0f}"


def explain(reason: str, *, observed=None, expected=None, lo=None, hi=None, z=None) -> tuple[str, str]:
    """One sentence in English and one in Chinese for a fired rule."""
    band_en = f" (normal band {_num(lo)}–{_num(hi)})" if lo is not None else ""
    band_zh = f"（正常区间 {_num(lo)}–{_num(hi)}）" if lo is not None else ""
    if reason == "missing":
        return (
            "No value was submitted for this period; expected about " + _num(expected) + ".",
            "本期未报送数据，预期约为 " + _num(expected) + "。",
        )
    if reason == "blank_as_zero":
        return (
            f"The value is 0 where about {_num(expected)} was expected: probably a blank entered as zero.",
            f"本期值为 0，而预期约为 {_num(expected)}：疑似将空白填报为 0。",
        )
    word_en = "above" if (z or 0) > 0 else "below"
    word_zh = "高于" if (z or 0) > 0 else "低于"
    return (
        f"The value {_num(observed)} is {word_en} the expected {_num(expected)}{band_en}; "
        f"robust z-score {z:+.1f}.",
        f"本期值 {_num(observed)} {word_zh}预期值 {_num(expected)}{band_zh}，稳健 z 分数为 {z:+.1f}。",
    )
