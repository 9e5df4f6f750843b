"""The multi-dimensional comparison page."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "cmp_title": {"zh": "多维对比", "en": "Multi-dimensional comparison"},
    "cmp_intro": {
        "zh": "各区在各指标和服务维度上与同类单位、与目标相比的表现。标准化方法：相对同类的稳健Z分数"
        "（（数值−中位数）÷（1.4826×中位绝对偏差），已按指标方向调整，正数表示优于同类）；或与目标的差距"
        "（占目标的百分比，已按方向调整，正数表示达标）。维度得分为该维度各指标得分的平均值。排名1为最好。",
        "en": "Each district on each indicator and service dimension, against its peers or its target. "
        "Standardisation: a robust z-score against the peers ((value − median) ÷ (1.4826 × median absolute "
        "deviation), direction applied: positive is better than peers), or the gap to the target in % of the "
        "target (direction applied: positive means the target is met). A dimension's score is the mean over its "
        "indicators. Rank 1 is the best.",
    },
    "cmp_none_stored": {
        "zh": "尚未存储任何观测值。请通过 POST /v1/observations 提交指标数据，或由管理员调用 POST /v1/admin/sample-city 加载示例城市。",
        "en": "No observations are stored yet: post indicator data to POST /v1/observations, or have an "
        "administrator load the sample city with POST /v1/admin/sample-city.",
    },
    "cmp_period": {"zh": "期间", "en": "Period"},
    "cmp_compare_to": {"zh": "排名变化对比", "en": "Rank change against"},
    "cmp_compare_previous": {"zh": "上一期（环比）", "en": "the previous period"},
    "cmp_compare_year": {"zh": "去年同期（同比）", "en": "the same period last year"},
    "cmp_peers": {"zh": "比较对象", "en": "Peers"},
    "cmp_peers_all": {"zh": "全部区", "en": "all districts"},
    "cmp_peers_group": {"zh": "同类区（城区/郊区/新区）", "en": "the district's peer group"},
    "cmp_metric": {"zh": "标准化方法", "en": "Standardisation"},
    "cmp_metric_z": {"zh": "相对同类（Z分数）", "en": "against peers (z-score)"},
    "cmp_metric_target": {"zh": "相对目标（差距%）", "en": "against target (gap in %)"},
    "cmp_dimension": {"zh": "维度", "en": "Dimension"},
    "cmp_all_dimensions": {"zh": "全部维度", "en": "all dimensions"},
    "cmp_indicator": {"zh": "指标", "en": "Indicator"},
    "cmp_focus_unit": {"zh": "突出显示", "en": "Highlight"},
    "cmp_trend_n": {"zh": "趋势期数", "en": "Periods in the trend"},
    "cmp_apply": {"zh": "更新", "en": "Update"},
    "cmp_unit": {"zh": "单位", "en": "Unit"},
    "cmp_heat_dimensions": {"zh": "各区 × 服务维度", "en": "Districts × service dimensions"},
    "cmp_heat_indicators": {"zh": "各区 × 指标", "en": "Districts × indicators"},
    "cmp_scale_z": {
        "zh": "蓝色优于同类、红色差于同类；色阶在 ±2.5 处饱和。鼠标悬停可见排名或数值与目标。",
        "en": "Blue is better than peers, red worse; the colours saturate at ±2.5. Hover a cell for its rank "
        "or its value and target.",
    },
    "cmp_scale_target": {
        "zh": "蓝色已达标、红色未达标；色阶在 ±10% 处饱和；空白表示该期没有目标。",
        "en": "Blue meets the target, red misses it; the colours saturate at ±10 %; a blank cell has no target "
        "in this period.",
    },
    "cmp_ranking": {"zh": "排名：{indicator}", "en": "Ranking: {indicator}"},
    "cmp_trend": {"zh": "近 {n} 期趋势与排名：{indicator}", "en": "Trend and rank over the last {n} periods: {indicator}"},
    "cmp_col_value": {"zh": "数值", "en": "Value"},
    "cmp_col_target": {"zh": "目标", "en": "Target"},
    "cmp_col_pct_target": {"zh": "完成率%", "en": "% of target"},
    "cmp_col_vs_target": {"zh": "与目标差距%", "en": "Gap to target %"},
    "cmp_col_z": {"zh": "Z分数", "en": "z vs peers"},
    "cmp_col_rank": {"zh": "排名", "en": "Rank"},
    "cmp_col_prev_rank": {"zh": "对比期排名", "en": "Earlier rank"},
    "cmp_col_rank_change": {"zh": "名次变化", "en": "Rank change"},
    "cmp_note_rank": {"zh": "排名 {rank}，变化 {change}", "en": "rank {rank}, change {change}"},
    "cmp_note_value": {"zh": "数值 {value}，目标 {target}", "en": "value {value}, target {target}"},
    "cmp_left_out": {
        "zh": "以下指标没有方向（越高越好/越低越好），未参与对比：{names}",
        "en": "These indicators have no direction (higher or lower is better) and are left out: {names}",
    },
    "cmp_download": {"zh": "下载：", "en": "Download:"},
    "cmp_err_unknown": {"zh": "未知的{what}：{value}", "en": "Unknown {what}: {value}"},
    "cmp_dim_efficiency": {"zh": "工作效率", "en": "Efficiency"},
    "cmp_dim_service_quality": {"zh": "服务质量", "en": "Service quality"},
    "cmp_dim_satisfaction": {"zh": "公众满意度", "en": "Satisfaction"},
    "cmp_dim_transparency": {"zh": "透明度", "en": "Transparency"},
    "cmp_dim_economy": {"zh": "经济性", "en": "Economy"},
    "cmp_dim_outcome": {"zh": "工作成效", "en": "Outcomes"},
    "cmp_dim_other": {"zh": "其他", "en": "Other"},
}
