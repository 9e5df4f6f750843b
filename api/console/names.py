"""Display names of org units, indicators and demand channels in the reader's language.

Known names come from the sample city's fixed description (:mod:`govperf_ml.sample_city.spec`);
any other id is shown as it is stored.
"""

from __future__ import annotations

from functools import cache

from govperf_ml.feedback.surges import parse_feedback_indicator
from govperf_ml.feedback.taxonomy import load_taxonomy
from govperf_ml.sample_city.spec import DISTRICTS, SPEC

TOTALS = {"CITY": {"zh": "全市", "en": "City total"}}
CHANNELS = {
    "hotline": {"zh": "12345热线来电", "en": "12345 hotline calls"},
    "service_hall": {"zh": "政务服务大厅办件", "en": "Service-hall applications"},
}


@cache
def _districts() -> dict[str, dict[str, str]]:
    return {d[0]: {"zh": d[1], "en": d[2], "peer_group": d[3]} for d in DISTRICTS}


def unit_name(org_unit: str, lang: str) -> str:
    known = TOTALS.get(org_unit) or _districts().get(org_unit)
    return known[lang] if known else org_unit


def peer_group(org_unit: str) -> str | None:
    return _districts().get(org_unit, {}).get("peer_group")


def channel_name(channel: str, lang: str) -> str:
    return CHANNELS.get(channel, {}).get(lang, channel)


def series_name(unique_id: str, lang: str) -> str:
    """``D01|hotline`` -> ``东湖区 · 12345热线来电``."""
    unit, _, rest = unique_id.partition("|")
    return f"{unit_name(unit, lang)} · {channel_name(rest, lang)}" if rest else unit_name(unit, lang)


#: English names of the sample city's indicators (the specification names them in Chinese)
ENGLISH = {
    "on_time_completion_rate": "On-time completion rate",
    "avg_processing_days": "Average processing time",
    "backlog_cases": "Backlog of cases",
    "permit_approval_days": "Construction permit approval time",
    "online_processing_rate": "Fully online processing rate",
    "first_contact_resolution_rate": "First-contact resolution rate",
    "complaint_reopen_rate": "Complaint re-open rate",
    "document_error_rate": "Case error rate",
    "callback_24h_rate": "Call-back within 24 h rate",
    "satisfaction_score": "Public satisfaction score",
    "hotline_satisfaction_rate": "12345 hotline satisfaction rate",
    "complaints_per_10k": "Complaints per 10k residents",
    "good_review_rate": "Good-review rate of services",
    "decisions_published_on_time_rate": "Major decisions published on time",
    "disclosure_answered_in_time_rate": "Disclosure requests answered in time",
    "budget_disclosure_completeness": "Budget disclosure completeness",
    "policy_interpretation_rate": "Policy interpretations published together",
    "cost_per_case": "Cost per case",
    "budget_execution_rate": "Budget execution rate (year to date)",
    "idle_funds_share": "Share of idle funds",
    "procurement_savings_rate": "Procurement savings rate",
    "air_quality_index": "Air quality index (monthly mean AQI)",
    "good_air_days_rate": "Share of good-air days",
    "pm25": "PM2.5 monthly mean",
    "waste_sorting_accuracy": "Waste-sorting accuracy",
    "graduation_rate": "Junior-secondary graduation rate (rolling 12 months)",
    "road_defect_repair_rate": "Road defects repaired on time",
    "new_jobs_created": "New urban jobs",
    "wastewater_treatment_rate": "Wastewater treatment rate",
    "traffic_accidents": "Road traffic accidents",
}


@cache
def _indicators() -> dict[str, dict[str, str]]:
    return {r.indicator: {"zh": r.indicator_name_zh,
                          "en": ENGLISH.get(r.indicator) or r.indicator.replace("_", " ").capitalize(),
                          "unit": r.unit, "dimension": r.dimension, "direction": r.direction,
                          "decimals": int(r.decimals)} for r in SPEC.itertuples()}


def indicator_info(indicator: str) -> dict | None:
    """Name (zh/en), unit, dimension, direction and decimals of a known indicator."""
    return _indicators().get(indicator)


def indicator_name(indicator: str, lang: str) -> str:
    info = indicator_info(indicator)
    if info:
        return info[lang]
    cell = parse_feedback_indicator(indicator)  # a complaint surge's series: feedback:<area>:<dimension>
    if cell:
        return f"{area_name(cell[0], lang)} · {service_dimension_name(cell[1], lang)}"
    return indicator


def area_name(area: str | None, lang: str) -> str:
    """A service area of the feedback taxonomy (城乡建设 / Urban construction)."""
    return load_taxonomy().area_name(area, lang) if area else "–"


def service_dimension_name(dimension: str, lang: str) -> str:
    """A service dimension of the feedback taxonomy (办理时效 / Timeliness)."""
    return load_taxonomy().dimensions.get(dimension, {}).get(lang, dimension)


def indicator_order(indicator: str) -> tuple[int, str]:
    """A sort key: the sample city's order (by evaluation dimension), then the id."""
    known = list(_indicators())
    return (known.index(indicator) if indicator in _indicators() else len(known), indicator)
