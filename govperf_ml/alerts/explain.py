"""Readable, bilingual reasons for alerts, and how severe an alert is."""

from __future__ import annotations

import math

import numpy as np

from govperf_ml.vocabulary import ALERT_KINDS, SEVERITIES  # noqa: F401  (re-exported)


def severity_of(z: float, *, medium=4.5, high=6.0) -> str:
    a = abs(z) if z is not None and not math.isnan(z) else 0.0
    return "high" if a >= high else "medium" if a >= medium else "low"


def _num(x: float) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return f"{x:.4g}" if abs(x) < 1000 else f"{x:,.0f}"  # .4g would write 19221 as 1.922e+04


def explain(reason: str, *, observed=None, expected=None, lo=None, hi=None, z=None, detail=None, target=None,
            count=None) -> tuple[str, str]:
    """One sentence in English and one in Chinese for a fired rule.

    ``reason`` is ``missing``, ``blank_as_zero``, ``flat_line``, ``scale_change``,
    ``end_of_period_jump``, ``smooth``, ``bunching``, ``peer``, ``likelihood`` or
    ``deviation``; ``detail`` is the firing detector's own number (repeats, log10 ratio,
    z, ...); ``target`` and ``count`` (periods just past it, periods looked at) are the
    bunching check's.
    """
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
    if reason == "flat_line":
        n = int(detail) + 1 if detail is not None and np.isfinite(detail) else 3
        return (
            f"The value {_num(observed)} has been reported unchanged for {n} periods in a row: "
            "possibly copied from an earlier period.",
            f"本期值 {_num(observed)} 已连续 {n} 期完全相同：疑似照抄往期数据。",
        )
    if reason == "scale_change":
        up = observed is not None and expected is not None and abs(observed) > abs(expected)
        return (
            f"The value {_num(observed)} is about {'100 times' if up else 'one hundredth of'} the recent level "
            f"{_num(expected)}: probably a unit or scale error (percent vs fraction, wrong unit).",
            f"本期值 {_num(observed)} 约为近期水平 {_num(expected)} 的{'100 倍' if up else '百分之一'}："
            "疑似单位或量纲填报错误（百分数与小数混用、单位错误）。",
        )
    if reason == "end_of_period_jump":
        zz = detail if detail is not None else (z or 0.0)
        return (
            f"The value {_num(observed)} improved sharply in the last month of the assessment period "
            f"(change z-score {zz:+.1f} against earlier month-to-month changes): check the figures before the assessment.",
            f"考核期末月本期值 {_num(observed)} 突然明显改善（环比变化稳健 z 分数 {zz:+.1f}）：疑似期末冲刺虚报，请在考核前核实。",
        )
    if reason == "smooth":
        return (
            f"The series has moved far more regularly than usual in recent periods (the spread of its changes "
            f"fell by {100 * (detail or 0):.0f}%): implausibly smooth figures can be a sign of adjusted reporting.",
            f"近期数据的波动明显小于以往（环比变化离散度下降 {100 * (detail or 0):.0f}%）：数据过于平滑，疑似人为调整。",
        )
    if reason == "bunching":
        c, n = count if count is not None else (0, 0)
        chance = 10 ** (detail or 0.0)
        return (
            f"The value {_num(observed)} clears the target {_num(target)} by a hair again: {c} of the last {n} "
            f"periods landed just past it (within one usual month-to-month change; by chance about 1 in "
            f"{chance:,.0f}). Figures bunched at a target can be a sign of adjusted reporting.",
            f"本期值 {_num(observed)} 再次以极小幅度越过目标值 {_num(target)}：近 {n} 期中有 {c} 期紧贴目标达标"
            f"（在通常的月度波动幅度之内；偶然出现的概率约为 {chance:,.0f} 分之一）：疑似贴线填报。",
        )
    if reason == "peer":
        zz = detail if detail is not None else 0.0
        word_en = "above" if zz > 0 else "below"
        word_zh = "高于" if zz > 0 else "低于"
        return (
            f"The value {_num(observed)} is far {word_en} units with the same indicator this period "
            f"({abs(zz):.1f} peer spreads from their median) and has moved away from them.",
            f"本期值 {_num(observed)} 明显{word_zh}同一指标的其他单位（偏离同类中位数 {abs(zz):.1f} 个离散度），且较以往明显拉大。",
        )
    if reason == "likelihood":
        value_en = f"The value {_num(observed)} breaks" if observed is not None else "The latest values break"
        value_zh = f"本期值 {_num(observed)} 打破了" if observed is not None else "近期数据打破了"
        return (
            f"{value_en} the recent pattern of this stream (its range, its usual level at this time of day or "
            f"its recent level; tail probability 10^-{(detail or 0):.1f}).",
            f"{value_zh}该序列的近期规律（历史范围、该时段通常水平或近期水平；尾部概率 10^-{(detail or 0):.1f}）。",
        )
    word_en = "above" if (z or 0) > 0 else "below"
    word_zh = "高于" if (z or 0) > 0 else "低于"
    return (
        f"The value {_num(observed)} is {word_en} the expected {_num(expected)}{band_en}; "
        f"robust z-score {z:+.1f}.",
        f"本期值 {_num(observed)} {word_zh}预期值 {_num(expected)}{band_zh}，稳健 z 分数为 {z:+.1f}。",
    )
