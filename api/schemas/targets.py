"""Risk of missing a target."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field

from api.schemas.common import MAX_POINTS, Direction, FiniteFloat, Id, Public, Schema, SeriesPoint


class TargetIn(Schema):
    unique_id: Id
    target: FiniteFloat
    deadline: date
    direction: Direction
    aggregation: Literal["last", "mean", "sum"]
    start: date | None = Field(None, description="When the target was set; default a year before the deadline")
    target_id: str | None = Field(None, min_length=1, max_length=200)


class TargetRiskRequest(Schema):
    series: list[SeriesPoint] = Field(min_length=1, max_length=MAX_POINTS)
    targets: list[TargetIn] = Field(min_length=1, max_length=10_000)
    as_of: date | None = Field(None, description="Assess as of this date; default the last observation")


class TargetRisk(Public):
    target_id: str
    unique_id: str
    p_miss: float | None = Field(description="Probability of missing the target")
    status: str
    projected: float | None
    projected_lo: float | None
    projected_hi: float | None
    required_rate: float | None
    current_rate: float | None
    reason_en: str
    reason_zh: str
    model_version: str


class TargetRiskResponse(Public):
    model_version: str
    assessments: list[TargetRisk]
