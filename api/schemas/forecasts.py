"""Demand forecasts."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from api.schemas.common import MAX_POINTS, NAME_PATTERN, FiniteFloat, Id, Moment, Name, Public, Schema, SeriesPoint, UtcDateTime

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
    run_id: int | None = Field(None, description="The forecast run (`POST /v1/forecast-runs`); null: the sample city")
    level: str | None = Field(None, description="The node's level in the run's hierarchy")


class StoredForecasts(Public):
    data: list[StoredForecast]
    count: int = Field(description="Forecasts matching the filters (all pages)")


class AccuracyFigures(Public):
    """Stored forecasts scored against the actuals ingested since (``POST /v1/observations``)."""

    n: int = Field(description="Forecasts with an actual")
    mae: float | None = Field(description="Mean absolute error")
    mase: float | None = Field(description="Mean absolute error over MASE's scale (the in-sample seasonal naive MAE "
                                           "of the history forecast from); null without a scale")
    coverage80: float | None = Field(description="Share of actuals inside the 80 % interval")
    coverage95: float | None = Field(description="Share of actuals inside the 95 % interval")


class AccuracyGroup(AccuracyFigures):
    key: str = Field(description="The group: a series id, a hierarchy level, a model version or a run id")


class ForecastAccuracy(Public):
    model_version: str | None = Field(description="The forecast model served now (its backtest is `backtest`)")
    backtest: AccuracyFigures | None = Field(description="The served model's backtest figures (n = 0)")
    overall: AccuracyFigures
    by: str
    groups: list[AccuracyGroup]
    count: int = Field(description="Groups")


# ---------------------------------------------------------------------------------------
# Forecast runs (POST /v1/forecast-runs): the user's series and their hierarchy
# ---------------------------------------------------------------------------------------
KeyValue = Annotated[str, Field(min_length=1, max_length=200)]


class ParentLink(Schema):
    unique_id: Id
    parent: Id | None = Field(None, description="null (or absent) at the top")


class SeriesKeys(Schema):
    unique_id: Id
    keys: dict[Name, KeyValue] = Field(
        max_length=10, description='e.g. {"Concession": "General", "ATC1": "A"}',
        # the key columns' rule, in the schema too (pydantic leaves dict keys out of it)
        json_schema_extra={"propertyNames": {"minLength": 1, "maxLength": 200, "pattern": NAME_PATTERN}})


class HierarchySpec(Schema):
    """Parent links, or key columns with each bottom series' key values (levels Total,
    key1, key1/key2, ...; aggregates are named by their key values joined by ``/``)."""

    parents: list[ParentLink] | None = Field(None, min_length=1, max_length=20_000)
    key_columns: list[Name] | None = Field(None, min_length=1, max_length=10,
                                           description='e.g. ["Concession", "Type", "ATC1", "ATC2"]')
    keys: list[SeriesKeys] | None = Field(None, min_length=1, max_length=20_000)

    @model_validator(mode="after")
    def _one_form(self) -> HierarchySpec:
        if (self.parents is None) == (self.key_columns is None):
            raise ValueError("give either parents or key_columns (with keys)")
        if (self.key_columns is None) != (self.keys is None):
            raise ValueError("key_columns and keys go together")
        if self.key_columns is not None and len("/".join(self.key_columns)) > 200:
            raise ValueError("key_columns joined by '/' name a level: at most 200 characters")
        long = [k.unique_id for k in self.keys or () if len("/".join(k.keys.values())) > 401]
        if long:
            raise ValueError(f"key values joined by '/' name an aggregate: at most 401 characters ({long[0]!r})")
        return self


Reconciliation = Literal["mint_shrink", "ols", "bottom_up", "none"]


class ForecastRunRequest(Schema):
    series: list[HistoryPoint] = Field(
        min_length=1, max_length=MAX_POINTS,
        description="History of the bottom series (aggregates, when sent, must equal their children's sum)")
    hierarchy: HierarchySpec | None = Field(None, description="null: the series are forecast independently")
    h: int = Field(ge=1, le=366, description="Periods ahead")
    freq: str | None = Field(None, max_length=16, description="Pandas frequency; inferred when absent")
    reconciliation: Reconciliation = Field(
        "mint_shrink", description="How forecasts are made to add up (ignored without a hierarchy)")


class ForecastRunPublic(Public):
    id: int
    created_at: UtcDateTime
    status: str
    model_version: str
    cutoff: UtcDateTime = Field(description="The last period of the history")
    h: int
    reconciliation: str
    hierarchy: dict[str, Any] | None
    series: int = Field(description="Nodes forecast (every level)")
    bottom: int = Field(description="Bottom series posted")
    created_by_role: str
    forecasts: str = Field(description="Where the run's forecasts are listed")
