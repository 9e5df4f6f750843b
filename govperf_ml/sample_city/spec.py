"""The fixed description of the sample city: anomaly kinds and how many of each are
injected, the districts, the indicators and the announced city-wide changes."""

from __future__ import annotations

import pandas as pd

from govperf_ml import contracts as C

#: kind of injected anomaly -> its category
ANOMALY_CATEGORIES: dict[str, str] = {
    "spike": "performance",
    "dip": "performance",
    "level_shift": "performance",
    "flat_line": "data_quality",
    "missing": "data_quality",
    "blank_as_zero": "data_quality",
    "scale_change": "data_quality",
    "bunching": "misreporting",
    "end_of_period_jump": "misreporting",
    "peer_outlier": "peer",
}
ANOMALY_KINDS = tuple(ANOMALY_CATEGORIES)

# events injected into the monthly KPI series, per kind (fixed, whatever the seed)
N_EVENTS = {
    "bunching": 10,
    "level_shift": 12,
    "peer_outlier": 10,
    "scale_change": 10,
    "flat_line": 12,
    "end_of_period_jump": 12,
    "missing": 14,
    "spike": 14,
    "dip": 14,
    "blank_as_zero": 12,
}
# events injected into the daily demand series
N_DEMAND_EVENTS = {"spike": 6, "dip": 6}

# ---------------------------------------------------------------------------------------
# Districts: a fictional city. Names are invented; any likeness is coincidental.
# ---------------------------------------------------------------------------------------
DISTRICTS = (
    # id, zh, en, peer group, population in 10k residents (first year)
    ("D01", "东湖区", "Donghu District", "urban_core", 78.0),
    ("D02", "西城区", "Xicheng District", "urban_core", 64.0),
    ("D03", "鼓楼区", "Gulou District", "urban_core", 71.0),
    ("D04", "南江区", "Nanjiang District", "urban_core", 55.0),
    ("D05", "青山区", "Qingshan District", "suburban", 46.0),
    ("D06", "白沙区", "Baisha District", "suburban", 39.0),
    ("D07", "北塘区", "Beitang District", "suburban", 52.0),
    ("D08", "柳河区", "Liuhe District", "suburban", 35.0),
    ("D09", "石桥区", "Shiqiao District", "suburban", 42.0),
    ("D10", "高新区", "Gaoxin District (hi-tech zone)", "new_zone", 31.0),
    ("D11", "滨湖新区", "Binhu New Area", "new_zone", 24.0),
    ("D12", "临港区", "Lingang District", "new_zone", 27.0),
)
PEER_GROUPS = ("urban_core", "suburban", "new_zone")

# ---------------------------------------------------------------------------------------
# Indicators. kind: rate (%), level (any unit), count (integers, scale with population),
# ytd (cumulative within the year). season: coefficients on monthly calendar features
# (sf = Spring-Festival week in the month, dec = December, winter = cos of the month,
# hol = other public-holiday weeks in the month; counts: on the log scale).
# trend: per year, in units (log for counts); sign = usual improvement.
# ---------------------------------------------------------------------------------------
_I = (
    # indicator, zh, unit, dimension, direction, kind, base, group sd, district sd, trend, noise, lo, hi, decimals, aggregation, season
    ("on_time_completion_rate", "按期办结率", "%", "efficiency", "higher", "rate", 92.5, 2.0, 0.9, 0.35, 0.9, 0, 100, 1, "last", {"sf": -3.0, "dec": 0.6}),
    ("avg_processing_days", "平均办理时长", "days", "efficiency", "lower", "level", 6.8, 0.8, 0.4, -0.22, 0.28, 0.5, 60, 2, "last", {"sf": 1.4}),
    ("backlog_cases", "积压件数", "cases", "efficiency", "lower", "count", 2.2, 0.15, 0.08, -0.04, 0.05, 0, None, 0, "last", {"sf": 0.35, "dec": -0.12}),
    ("permit_approval_days", "工程建设项目审批平均用时", "working days", "efficiency", "lower", "level", 28.0, 3.0, 1.4, -1.4, 1.1, 3, 120, 1, "last", {"sf": 2.5}),
    ("online_processing_rate", "全程网办率", "%", "efficiency", "higher", "rate", 60.0, 5.0, 2.2, 4.2, 1.2, 0, 100, 1, "last", {}),
    ("first_contact_resolution_rate", "一次性办结率", "%", "service_quality", "higher", "rate", 80.0, 3.0, 1.4, 0.7, 1.2, 0, 100, 1, "last", {"sf": -1.2}),
    ("complaint_reopen_rate", "投诉重复工单率", "%", "service_quality", "lower", "rate", 6.2, 1.0, 0.45, -0.28, 0.42, 0, 100, 2, "last", {"winter": 0.3}),
    ("document_error_rate", "办件差错率", "%", "service_quality", "lower", "rate", 1.6, 0.3, 0.14, -0.08, 0.14, 0, 100, 2, "last", {"sf": 0.15}),
    ("callback_24h_rate", "24小时内回访率", "%", "service_quality", "higher", "rate", 87.0, 2.5, 1.2, 0.6, 1.1, 0, 100, 1, "last", {"sf": -1.5}),
    ("satisfaction_score", "群众满意度测评得分", "points", "satisfaction", "higher", "rate", 85.5, 2.0, 1.0, 0.5, 0.8, 0, 100, 1, "mean", {}),
    ("hotline_satisfaction_rate", "12345热线满意率", "%", "satisfaction", "higher", "rate", 89.5, 2.0, 1.0, 0.4, 0.9, 0, 100, 1, "mean", {"winter": -0.7}),
    ("complaints_per_10k", "每万人投诉量", "per 10k residents", "satisfaction", "lower", "level", 9.0, 1.5, 0.7, -0.3, 0.55, 0, None, 2, "mean", {"winter": -0.9, "hol": 0.4}),
    ("good_review_rate", "政务服务好评率", "%", "satisfaction", "higher", "rate", 96.0, 0.7, 0.35, 0.2, 0.35, 0, 100, 2, "mean", {}),
    ("decisions_published_on_time_rate", "重大决策按时公开率", "%", "transparency", "higher", "rate", 91.5, 2.5, 1.1, 0.7, 1.0, 0, 100, 1, "last", {"dec": 0.8}),
    ("disclosure_answered_in_time_rate", "依申请公开按期答复率", "%", "transparency", "higher", "rate", 94.0, 1.5, 0.7, 0.4, 0.8, 0, 100, 1, "last", {"sf": -1.5}),
    ("budget_disclosure_completeness", "预决算公开完整率", "%", "transparency", "higher", "rate", 89.0, 3.0, 1.2, 1.1, 0.9, 0, 100, 1, "last", {}),
    ("policy_interpretation_rate", "政策解读同步发布率", "%", "transparency", "higher", "rate", 76.0, 4.0, 1.8, 2.0, 1.6, 0, 100, 1, "last", {}),
    ("cost_per_case", "单件办理成本", "yuan", "economy", "lower", "level", 320.0, 25.0, 11.0, -7.0, 9.0, 50, None, 1, "mean", {"sf": 18.0}),
    ("budget_execution_rate", "预算执行率(累计)", "%", "economy", "higher", "ytd", 91.0, 1.5, 0.8, 0.5, 0.7, 0, 100, 1, "last", {}),
    ("idle_funds_share", "闲置资金占比", "%", "economy", "lower", "rate", 4.6, 1.0, 0.45, -0.3, 0.33, 0, 100, 2, "last", {"dec": -0.9}),
    ("procurement_savings_rate", "政府采购节支率", "%", "economy", "higher", "rate", 6.4, 1.0, 0.5, 0.15, 0.55, 0, 100, 2, "mean", {}),
    ("air_quality_index", "空气质量指数(月均AQI)", "AQI", "outcome", "lower", "level", 72.0, 6.0, 2.8, -2.4, 4.0, 10, 500, 0, "mean", {"winter": 17.0}),
    ("good_air_days_rate", "空气质量优良天数比例", "%", "outcome", "higher", "rate", 83.0, 4.0, 2.0, 1.0, 2.4, 0, 100, 1, "mean", {"winter": -9.0}),
    ("pm25", "PM2.5月均浓度", "µg/m³", "outcome", "lower", "level", 36.0, 3.0, 1.5, -1.4, 2.3, 3, 300, 1, "mean", {"winter": 13.0}),
    ("waste_sorting_accuracy", "生活垃圾分类准确率", "%", "outcome", "higher", "rate", 77.0, 4.0, 1.9, 2.4, 1.4, 0, 100, 1, "last", {"sf": -1.5}),
    ("graduation_rate", "初中毕业率(滚动12个月)", "%", "outcome", "higher", "rate", 97.0, 0.7, 0.35, 0.18, 0.28, 0, 100, 2, "last", {}),
    ("road_defect_repair_rate", "道路病害按期修复率", "%", "outcome", "higher", "rate", 88.0, 3.0, 1.4, 0.7, 1.4, 0, 100, 1, "last", {"winter": -1.8, "sf": -1.5}),
    ("new_jobs_created", "城镇新增就业人数", "persons", "outcome", "higher", "count", 15.0, 0.12, 0.06, 0.03, 0.06, 0, None, 0, "sum", {"sf": -0.35, "winter": -0.05}),
    ("wastewater_treatment_rate", "污水集中处理率", "%", "outcome", "higher", "rate", 95.0, 1.0, 0.5, 0.3, 0.4, 0, 100, 2, "last", {}),
    ("traffic_accidents", "道路交通事故数", "accidents", "outcome", "lower", "count", 0.6, 0.12, 0.06, -0.04, 0.06, 0, None, 0, "sum", {"hol": 0.1, "winter": 0.08}),
)
SPEC = pd.DataFrame(
    _I,
    columns=[
        "indicator", "indicator_name_zh", "unit", "dimension", "direction", "kind", "base",
        "group_sd", "district_sd", "trend", "noise", "lo", "hi", "decimals", "aggregation", "season",
    ],
)
NB_R = 40.0  # negative-binomial size: variance = mu + mu^2 / r

# announced city-wide changes: expected level changes that must not raise alerts
CHANGES = (
    ("2023-07-01", "online_processing_rate", 6.0,
     "一网通办 reform: most applications can be filed online from July 2023 (announced in May 2023)"),
    ("2023-07-01", "avg_processing_days", -0.9,
     "一网通办 reform: online filing and parallel approval shorten processing from July 2023"),
    ("2024-01-01", "complaints_per_10k", 0.8,
     "new complaint-counting rule: repeated calls about one case are counted separately from 2024"),
)



def make_districts(n: int) -> pd.DataFrame:
    rows = DISTRICTS[:n]
    return pd.DataFrame(
        rows, columns=[C.ORG_UNIT, "org_unit_name", "org_unit_name_en", "peer_group", "population_10k"]
    )
