"""Demand forecasts."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator

from api.schemas.common import MAX_POINTS, FiniteFloat, Id, Moment, Public, Schema, SeriesPoint, UtcDateTime

ExogValues = Annotated[dict[Annotated[str, Field(min_length=1, max_length=100)], FiniteFloat | None],
                       Field(max_length=50)]


class HistoryPoint(SeriesPoint):
    """One observed period; ``x`` carries exogenous values when the model uses them."""

    x: ExogValues = Field(default_factory=dict, description='Exogenous values, e.g. {"campaign": 1}')


class FuturePoint(Schema):
    """Known future values of the exogenous columns for one series and period."""

    unique_id: Id
    ds: Moment
    x: dict[Annotated[str, Field(min_length=1, max_length=100)], FiniteFloat] = Field(max_length=50)


class ForecastRequest(Schema):
    series: list[HistoryPoint] = Field(min_length=1, max_length=MAX_POINTS)
    future: list[FuturePoint] | None = Field(
        None,
        max_length=MAX_POINTS,
        description="Future exogenous values (h periods per series); required when the served model "
        "was trained with exogenous columns (`govperf train forecast --exog`), refused otherwise",
    )
    h: int = Field(ge=1, le=1000, description="Periods ahead")
    level: list[int] = Field(default=[80, 95], max_length=5, description="Interval levels in percent")
    freq: str | None = Field(None, max_length=16, description="Pandas frequency; inferred when absent")

    @field_validator("level")
    @classmethod
    def _levels(cls, value: list[int]) -> list[int]:
        bad = [v for v in value if not 0 < v < 100]
        if bad:
            raise ValueError(f"levels must be between 1 and 99, got {bad}")
        return sorted(set(value))


class Interval(Public):
    lo: float | None
    hi: float | None


class ForecastPoint(Public):
    unique_id: str
    ds: UtcDateTime
    mean: float | None
    intervals: dict[str, Interval]


class ForecastResponse(Public):
    model_version: str
    forecasts: list[ForecastPoint]


# ---------------------------------------------------------------------------------------
# Stored forecasts (GET /v1/forecasts)
# ---------------------------------------------------------------------------------------
class StoredForecast(Public):
    """One stored forecast: a series' value ``h_step`` periods after ``cutoff``."""

    unique_id: str
    org_unit: str
    channel: str
    ds: UtcDateTime
    h_step: int = Field(description="Periods after the cutoff (1..h)")
    mean: float | None
    intervals: dict[str, Interval] = Field(description='Keyed by level: {"80": {lo, hi}, "95": {lo, hi}}')
    model_version: str
    cutoff: UtcDateTime = Field(description="The last period of the history the model saw")
    created_at: UtcDateTime


class StoredForecasts(Public):
    data: list[StoredForecast]
    count: int = Field(description="Forecasts matching the filters (all pages)")
