"""The words of the target-risk model: why a target is at risk, in English and Chinese."""

from __future__ import annotations

from govperf_ml.targets.calibration import REASONS_ZH

REASONS = {
    "p_empirical": ("the series' own history rarely reaches such a level in the time left",
                    "从该指标自身历史看，剩余时间内很少能达到这一水平",
                    "the series' history usually reaches this level in the time left",
                    "从该指标自身历史看，剩余时间内通常能达到这一水平"),
    "z_gap": ("the projected value falls short of the target by more than its usual spread",
              "预测值与目标的差距超出正常波动范围",
              "the projected value clears the target by more than its usual spread",
              "预测值高于目标且超出正常波动范围"),
    "gap_to_target": ("the current level is on the wrong side of the target", "当前水平未达目标",
                      "the current level already meets the target", "当前水平已达到目标"),
    "gap_current": ("the period so far is on the wrong side of the target", "本考核期至今的表现未达目标",
                    "the period so far meets the target", "本考核期至今的表现已达目标"),
    "gap_recent": ("the latest values are on the wrong side of the target", "最近几期数值未达目标",
                   "the latest values meet the target", "最近几期数值已达目标"),
    "pace_ratio": ("progress lags the planned straight line", "进度落后于计划进度线",
                   "progress is on or ahead of the planned line", "进度达到或超过计划进度线"),
    "trend": ("the recent trend runs away from the target", "近期走势背离目标", "the recent trend runs towards the target",
              "近期走势朝向目标"),
    "drift": ("the series usually drifts the wrong way over such a span", "该指标在此类时段通常朝不利方向变化",
              "the series usually drifts the right way over such a span", "该指标在此类时段通常朝有利方向变化"),
    "volatility": ("the series is volatile, so the outcome is uncertain", "该指标波动较大，结果不确定",
                   "the series is steady", "该指标较为平稳"),
    "p_forecast": ("the forecaster's interval mostly falls short of the target", "预测模型的预测区间大多未达目标",
                   "the forecaster's interval mostly clears the target", "预测模型的预测区间大多已达目标"),
    "elapsed": ("little time is left", "剩余时间不多", "much of the period is still ahead", "考核期剩余时间较多"),
}


TOWARDS = {"pace": ("the pace rule", "计划进度线规则的未达标率"),
           "empirical": ("the series' own empirical probability", "该指标自身历史的经验概率"),
           "prior": ("the usual miss rate", "总体未达标率")}


def shrunk_note(why: str, w: float, towards: str) -> tuple[str, str]:
    """``Little history: probability shrunk towards the pace rule (model weight 60%). ``;
    towards the forecaster: ``Little history: probability from the forecaster's interval (...)``."""
    if towards == "forecast":
        return (f"{why[0].upper()}{why[1:]}: probability from the forecaster's interval (model weight {w:.0%}). ",
                f"{REASONS_ZH[why]}：概率取自预测模型的预测区间（模型权重 {w:.0%}）。")
    en, zh = TOWARDS[towards]
    return (f"{why[0].upper()}{why[1:]}: probability shrunk towards {en} (model weight {w:.0%}). ",
            f"{REASONS_ZH[why]}：概率已向{zh}收缩（模型权重 {w:.0%}）。")
