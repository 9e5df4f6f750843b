"""Names of org units and indicators in Chinese and English, for people.

The service stores ids only (``D03``, ``on_time_completion_rate``). The names of the
sample city's districts, peer groups and indicators come from its specification
(:mod:`govperf_ml.sample_city.spec`); any other id is shown as it is, so a unit from
another source still gets a readable (if plain) report.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from govperf_ml.sample_city.spec import DISTRICTS, SPEC

CITY = "CITY"  # the whole city: every org unit with observations


@dataclass(frozen=True)
class Names:
    units: dict[str, dict[str, str]]  # org_unit -> {zh, en}
    peer_group: dict[str, str]  # org_unit -> peer group id
    indicators: dict[str, dict[str, str]]  # indicator -> {zh, en}
    units_of_measure: dict[str, str]  # indicator -> unit ("%", "days", ...)
    decimals: dict[str, int]  # indicator -> decimals its values are reported with

    def unit(self, org_unit: str, lang: str) -> str:
        return self.units.get(org_unit, {}).get(lang, org_unit)

    def indicator(self, indicator: str, lang: str) -> str:
        return self.indicators.get(indicator, {}).get(lang, indicator)

    def measure(self, indicator: str) -> str:
        return self.units_of_measure.get(indicator, "")

    def order(self, indicator: str) -> tuple[int, str]:
        """A sort key: the specification's order (by evaluation dimension), then the id."""
        known = list(self.indicators)
        return (known.index(indicator) if indicator in self.indicators else len(known), indicator)

    def places(self, indicator: str) -> int:
        return self.decimals.get(indicator, 2)


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


def _english(indicator: str) -> str:
    if indicator in ENGLISH:
        return ENGLISH[indicator]
    words = indicator.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


@lru_cache(maxsize=1)
def names() -> Names:
    units = {uid: {"zh": zh, "en": en} for uid, zh, en, _, _ in DISTRICTS}
    units[CITY] = {"zh": "全市", "en": "The whole city"}
    return Names(
        units=units,
        peer_group={uid: group for uid, _, _, group, _ in DISTRICTS},
        indicators={
            row.indicator: {"zh": row.indicator_name_zh, "en": _english(row.indicator)}
            for row in SPEC.itertuples(index=False)
        },
        units_of_measure=dict(zip(SPEC["indicator"], SPEC["unit"], strict=True)),
        decimals={k: int(v) for k, v in zip(SPEC["indicator"], SPEC["decimals"], strict=True)},
    )
