"""Administration: loading the sample city for demos."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from api.schemas.alerts import AlertPublic
from api.schemas.common import Public, Schema


class SampleCityRequest(Schema):
    months: int = Field(
        6, ge=1, le=12, description="Load observations up to this month of the sample city's last target year"
    )


class UpsertCounts(Public):
    inserted: int
    updated: int
    unchanged: int


class SampleCityResult(Public):
    through: datetime = Field(description="The last period loaded")
    next_period: datetime | None = Field(
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
