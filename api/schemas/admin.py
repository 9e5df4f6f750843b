"""Administration: loading the sample city for demos."""

from __future__ import annotations


from pydantic import Field

from api.schemas.alerts import AlertPublic
from api.schemas.common import Public, Schema, UtcDateTime


class SampleCityRequest(Schema):
    months: int = Field(
        6, ge=1, le=12, description="Load observations up to this month of the sample city's last target year"
    )


class SampleCityForecastsRequest(Schema):
    h: int = Field(28, ge=1, le=366, description="Days ahead to forecast every demand series")


class SampleCityForecastsResult(Public):
    model_version: str = Field(description="The forecast champion that produced the forecasts")
    cutoff: UtcDateTime = Field(description="The last day of the history (the forecasts start the day after)")
    h: int
    series: int = Field(description="Demand series forecast")
    inserted: int = Field(description="Forecast rows stored by this call")
    existing: int = Field(
        description="Rows already stored for this model version and cutoff, left as they were (idempotent)"
    )
    reconciliation: str | None = Field(
        description="How districts were made to add up to their city totals (`ols`); null: not reconciled"
    )


class UpsertCounts(Public):
    inserted: int
    updated: int
    unchanged: int


class SampleCityResult(Public):
    through: UtcDateTime = Field(description="The last period loaded")
    next_period: UtcDateTime | None = Field(
        description="The period to post next (GET /v1/admin/sample-city/observations?ds=...); null at the end"
    )
    observations: UpsertCounts
    targets: UpsertCounts
    targets_assessed: int
    target_status: dict[str, int] = Field(description="Stored targets by latest status (all of them)")
    alerts_created: int
    alerts_cursor: int | None = Field(
        description="The largest alert seq after the load: GET /v1/alerts?kind=target_risk&after_seq=<this> "
        "then lists only the alerts raised later"
    )
    alerts_by_kind: dict[str, int]
    models_missing: list[str] = Field(description="Capabilities not loaded: that step was skipped")
    alerts: list[AlertPublic] = Field(description="The target_risk alerts raised by this load")
    forecasts: SampleCityForecastsResult | None = Field(
        None,
        description="The demand forecasts stored by this load (28 days from the full demand history); "
        "null when the forecast model is not loaded",
    )
    feedback_messages: int = Field(
        0, description="Messages of the city's stream through the cut-off, classified and stored (complaint "
        "surges among them raise `feedback_surge` alerts); 0 when the feedback model is not loaded")
