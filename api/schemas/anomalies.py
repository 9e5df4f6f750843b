"""Anomaly scoring and observation ingestion."""

from __future__ import annotations


from pydantic import Field

from api.schemas.alerts import AlertKind, AlertPublic, Severity
from api.schemas.targets import TargetIn
from api.schemas.common import MAX_POINTS, Direction, FiniteFloat, Id, Moment, Name, Public, Schema, SeriesPoint, UtcDateTime


class AnomalyScoreRequest(Schema):
    series: list[SeriesPoint] = Field(min_length=1, max_length=MAX_POINTS)
    directions: dict[Id, Direction] | None = Field(
        None, description="Which way is better per series; unknown series are two-sided"
    )
    targets: list[TargetIn] | None = Field(
        None,
        max_length=10_000,
        description="The series' targets: values bunching just past a target are flagged as suspected misreporting",
    )


class ScoredPoint(Public):
    unique_id: str
    ds: UtcDateTime
    y: float | None
    expected: float | None
    lower: float | None
    upper: float | None
    score: float | None = Field(description="Anomaly score (higher is more anomalous)")
    is_anomaly: bool
    kind: AlertKind | None
    severity: Severity | None
    reason_en: str
    reason_zh: str


class AnomalyScoreResponse(Public):
    model_version: str
    points: list[ScoredPoint]
    anomalies: int = Field(description="Number of points flagged")


class ObservationIn(Schema):
    org_unit: Name
    indicator: Name
    ds: Moment = Field(description="The period the value belongs to (a UTC offset is ignored)")
    value: FiniteFloat | None = Field(description="null marks a missing submission")
    direction: Direction | None = None
    submitted_at: Moment | None = Field(
        None, description="When the unit submitted the value (default: when it reaches this service); "
        "used to flag late submissions"
    )


class ObservationsBatch(Schema):
    observations: list[ObservationIn] = Field(min_length=1, max_length=10_000)


class ObservationsResult(Public):
    inserted: int
    updated: int
    unchanged: int
    series_rescored: int
    targets_reassessed: int = Field(0, description="Stored targets of the changed series assessed again")
    model_version: str
    targets_model_version: str | None = Field(None, description="null when no targets model is loaded")
    alerts: list[AlertPublic] = Field(description="Alerts created by this batch (target_risk ones included)")
