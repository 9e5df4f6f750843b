"""Readable, bilingual reasons for alerts, and how severe an alert is."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import pandas as pd

from govperf_ml.vocabulary import HIGH_P_MISS


def severity_of(z: float, *, medium=4.5, high=6.0) -> str:
    a = abs(z) if z is not None and not math.isnan(z) else 0.0
    return "high" if a >= high else "medium" if a >= medium else "low"


def period_label(ds) -> str:
    """``2025-03`` for a month label (the 1st at midnight), else ``2025-03-14``."""
    ts = pd.Timestamp(ds)
    return f"{ts:%Y-%m}" if ts.day == 1 and ts.hour == 0 and ts.minute == 0 else f"{ts:%Y-%m-%d}"


def _num(x: float) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return f"{x:.4g}" if abs(x) < 1000 else f"{x:,.0f}"  # .4g would write 19221 as 1.922e+04


def explain(reason: str, *, observed=None, expected=None, lo=None, hi=None, z=None, detail=None, target=None,
            count=None, period=None) -> tuple[str, str]:
    """One sentence in English and one in Chinese for a fired rule.

    Parameters
    ----------
    reason : str
        ``absent``, ``missing``, ``blank_as_zero``, ``flat_line``, ``scale_change``,
        ``end_of_period_jump``, ``smooth``, ``bunching``, ``peer``, ``likelihood`` or
        ``deviation`` (any other reason is worded as a deviation).
    observed, expected, lo, hi, z : the value, its expected value and normal band, and the
        main detector's signed z-score.
    detail : the firing detector's own number (repeats, log10 ratio, z, ...).
    target, count : the bunching check's target and (periods just past it, periods looked at).
    period : the period label an absent value or a units error's run starts at (``2025-03``).

    Returns
    -------
    (en, zh) : tuple of str
    """
    v = _Values(observed, expected, lo, hi, z, detail, target, count, period)
    return _SENTENCES.get(reason, _deviation)(v)


class _Values(NamedTuple):
    observed: float | None
    expected: float | None
    lo: float | None
    hi: float | None
    z: float | None
    detail: float | None
    target: float | None
    count: tuple[int, int] | None
    period: str | None


def _side(x: float) -> tuple[str, str]:
    return ("above", "高于") if x > 0 else ("below", "低于")


def _missing(v: _Values) -> tuple[str, str]:
    return (
        "No value was submitted for this period; expected about " + _num(v.expected) + ".",
        "本期未报送数据，预期约为 " + _num(v.expected) + "。",
    )


def _blank_as_zero(v: _Values) -> tuple[str, str]:
    return (
        f"The value is 0 where about {_num(v.expected)} was expected: probably a blank entered as zero.",
        f"本期值为 0，而预期约为 {_num(v.expected)}：疑似将空白填报为 0。",
    )


def _flat_line(v: _Values) -> tuple[str, str]:
    n = int(v.detail) + 1 if v.detail is not None and np.isfinite(v.detail) else 3
    return (
        f"The value {_num(v.observed)} has been reported unchanged for {n} periods in a row: "
        "possibly copied from an earlier period.",
        f"本期值 {_num(v.observed)} 已连续 {n} 期完全相同：疑似照抄往期数据。",
    )


def _absent(v: _Values) -> tuple[str, str]:
    return (
        f"No value reported for {v.period}: the period is missing from the series "
        f"(expected about {_num(v.expected)}).",
        f"{v.period} 未报送数据：该期在序列中缺失（预期约为 {_num(v.expected)}）。",
    )


def _factor(power: float | None) -> tuple[str, str]:
    """(English, Chinese) of a factor 10**power: '10×', '1/100 of'."""
    k = int(power) if power is not None and np.isfinite(power) and power != 0 else 2
    n = f"{10 ** abs(k):,}"
    return (f"about {n}×", f"约 {n} 倍") if k > 0 else (f"about 1/{n} of", f"约 {n} 分之一")


def _scale_change(v: _Values) -> tuple[str, str]:
    en, zh = _factor(v.detail)
    since_en = f" from {v.period}" if v.period else ""
    since_zh = f"自 {v.period} 起" if v.period else ""
    return (
        f"The value {_num(v.observed)} is {en} the series' level {_num(v.expected)}{since_en}: likely a units "
        "error (a unit or scale error: wrong unit, percent vs fraction, misplaced decimal point).",
        f"本期值 {_num(v.observed)} {since_zh}为序列水平 {_num(v.expected)} 的{zh}：疑似单位或量纲填报错误"
        "（单位错误、百分数与小数混用、小数点错位）。",
    )


def _end_of_period_jump(v: _Values) -> tuple[str, str]:
    zz = v.detail if v.detail is not None else (v.z or 0.0)
    return (
        f"The value {_num(v.observed)} improved sharply in the last month of the assessment period "
        f"(change z-score {zz:+.1f} against earlier month-to-month changes): check the figures before the assessment.",
        f"考核期末月本期值 {_num(v.observed)} 突然明显改善（环比变化稳健 z 分数 {zz:+.1f}）：疑似期末冲刺虚报，请在考核前核实。",
    )


def _smooth(v: _Values) -> tuple[str, str]:
    return (
        f"The series has moved far more regularly than usual in recent periods (the spread of its changes "
        f"fell by {100 * (v.detail or 0):.0f}%): implausibly smooth figures can be a sign of adjusted reporting.",
        f"近期数据的波动明显小于以往（环比变化离散度下降 {100 * (v.detail or 0):.0f}%）：数据过于平滑，疑似人为调整。",
    )


def _bunching(v: _Values) -> tuple[str, str]:
    c, n = v.count if v.count is not None else (0, 0)
    chance = 10 ** (v.detail or 0.0)
    return (
        f"The value {_num(v.observed)} clears the target {_num(v.target)} by a hair again: {c} of the last {n} "
        f"periods landed just past it (within one usual month-to-month change; by chance about 1 in "
        f"{chance:,.0f}). Figures bunched at a target can be a sign of adjusted reporting.",
        f"本期值 {_num(v.observed)} 再次以极小幅度越过目标值 {_num(v.target)}：近 {n} 期中有 {c} 期紧贴目标达标"
        f"（在通常的月度波动幅度之内；偶然出现的概率约为 {chance:,.0f} 分之一）：疑似贴线填报。",
    )


def _peer(v: _Values) -> tuple[str, str]:
    zz = v.detail if v.detail is not None else 0.0
    word_en, word_zh = _side(zz)
    return (
        f"The value {_num(v.observed)} is far {word_en} units with the same indicator this period "
        f"({abs(zz):.1f} peer spreads from their median) and has moved away from them.",
        f"本期值 {_num(v.observed)} 明显{word_zh}同一指标的其他单位（偏离同类中位数 {abs(zz):.1f} 个离散度），且较以往明显拉大。",
    )


def _likelihood(v: _Values) -> tuple[str, str]:
    value_en = f"The value {_num(v.observed)} breaks" if v.observed is not None else "The latest values break"
    value_zh = f"本期值 {_num(v.observed)} 打破了" if v.observed is not None else "近期数据打破了"
    return (
        f"{value_en} the recent pattern of this stream (its range, its usual level at this time of day or "
        f"its recent level; tail probability 10^-{(v.detail or 0):.1f}).",
        f"{value_zh}该序列的近期规律（历史范围、该时段通常水平或近期水平；尾部概率 10^-{(v.detail or 0):.1f}）。",
    )


def _deviation(v: _Values) -> tuple[str, str]:
    band_en = f" (normal band {_num(v.lo)}–{_num(v.hi)})" if v.lo is not None else ""
    band_zh = f"（正常区间 {_num(v.lo)}–{_num(v.hi)}）" if v.lo is not None else ""
    word_en, word_zh = _side(v.z or 0)
    return (
        f"The value {_num(v.observed)} is {word_en} the expected {_num(v.expected)}{band_en}; "
        f"robust z-score {v.z:+.1f}.",
        f"本期值 {_num(v.observed)} {word_zh}预期值 {_num(v.expected)}{band_zh}，稳健 z 分数为 {v.z:+.1f}。",
    )


#: reason → the function writing its (en, zh) sentences
_SENTENCES = {
    "absent": _absent,
    "missing": _missing,
    "blank_as_zero": _blank_as_zero,
    "flat_line": _flat_line,
    "scale_change": _scale_change,
    "end_of_period_jump": _end_of_period_jump,
    "smooth": _smooth,
    "bunching": _bunching,
    "peer": _peer,
    "likelihood": _likelihood,
    "deviation": _deviation,
}


def target_risk_reason(target_id: str, reason_en: str, reason_zh: str) -> tuple[str, str]:
    """The reason of a ``target_risk`` alert: the target named before the risk model's reason."""
    return f"Target {target_id}: {reason_en}".strip(), f"目标 {target_id}：{reason_zh}".strip()


def target_risk_severity(p_miss: float | None) -> str:
    """``high`` from :data:`~govperf_ml.vocabulary.HIGH_P_MISS` probability of missing on, else ``medium``."""
    return "high" if p_miss is not None and p_miss >= HIGH_P_MISS else "medium"
