"""Risk of missing a target: stateless assessment, and stored targets with their latest risk."""

from __future__ import annotations

from datetime import date
from typing import Literal

import pandas as pd
from pydantic import Field, model_validator

from api.schemas.alerts import AlertPublic
from api.schemas.common import MAX_POINTS, Day, Direction, FiniteFloat, Id, Name, Public, Schema, SeriesPoint, UtcDateTime
from govperf_ml.vocabulary import SERIES_SEP, default_target_id, name_problem, series_id, split_series_id


class TargetIn(Schema):
    unique_id: Id
    target: FiniteFloat
    deadline: Day
    direction: Direction
    aggregation: Literal["last", "mean", "sum"]
    start: Day | None = Field(None, description="When the target was set; default a year before the deadline")
    target_id: str | None = Field(None, min_length=1, max_length=200)


def targets_frame(items) -> pd.DataFrame:
    """The targets frame the library expects (``validate_targets``'s contract), from any
    objects with the target fields: request items or stored rows. A missing ``target_id``
    gets the library's default ``<unique_id>@<deadline>``."""
    return pd.DataFrame(
        {
            "target_id": [getattr(t, "target_id", None) or default_target_id(t.unique_id, t.deadline) for t in items],
            "unique_id": [t.unique_id for t in items],
            "target": [float(t.target) for t in items],
            "deadline": pd.to_datetime([t.deadline for t in items]),
            "direction": [t.direction for t in items],
            "aggregation": [t.aggregation for t in items],
            "start": pd.to_datetime([t.start for t in items]),
        }
    )


class TargetRiskRequest(Schema):
    series: list[SeriesPoint] = Field(min_length=1, max_length=MAX_POINTS)
    targets: list[TargetIn] = Field(min_length=1, max_length=10_000)
    as_of: Day | None = Field(None, description="Assess as of this date; default the last observation")


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


# ---------------------------------------------------------------------------------------
# Stored targets (PUT/GET /v1/targets)
# ---------------------------------------------------------------------------------------
RiskStatus = Literal["green", "amber", "red"]


class TargetUpsert(Schema):
    """A target to store. Name the series by ``unique_id`` (``<org_unit>|<indicator>``) or
    by ``org_unit`` and ``indicator``."""

    target_id: str | None = Field(
        None, min_length=1, max_length=200, description="The upsert key; default `<unique_id>@<deadline>`"
    )
    unique_id: Id | None = Field(None, description="`<org_unit>|<indicator>`, as in observations")
    org_unit: Name | None = None
    indicator: Name | None = None
    target: FiniteFloat
    start: Day | None = Field(None, description="When the target was set; default a year before the deadline")
    deadline: Day
    direction: Direction
    aggregation: Literal["last", "mean", "sum"] = Field(description="How the target period's values are combined")

    @model_validator(mode="after")
    def _series(self) -> TargetUpsert:
        if self.org_unit is not None and self.indicator is not None:
            derived = series_id(self.org_unit, self.indicator)
            if self.unique_id is not None and self.unique_id != derived:
                raise ValueError(f"unique_id must be '<org_unit>{SERIES_SEP}<indicator>' when both are given")
            self.unique_id = derived
        elif self.unique_id is not None and (self.org_unit, self.indicator) == (None, None):
            org_unit, indicator = split_series_id(self.unique_id)
            sep = SERIES_SEP in self.unique_id
            if not (sep and org_unit and indicator) or len(org_unit) > 200 or len(indicator) > 200:
                raise ValueError(
                    f"unique_id must be '<org_unit>{SERIES_SEP}<indicator>'; or send org_unit and indicator"
                )
            problem = name_problem(org_unit) or name_problem(indicator)
            if problem is not None:
                raise ValueError(f"unique_id: org unit and indicator {problem}")
            self.org_unit, self.indicator = org_unit, indicator
        else:
            raise ValueError("name the series: unique_id, or org_unit and indicator")
        return self


class TargetsUpsert(Schema):
    targets: list[TargetUpsert] = Field(min_length=1, max_length=10_000)


class TargetRiskState(Public):
    """The latest assessment of a stored target."""

    status: RiskStatus
    p_miss: float | None = Field(description="Probability of missing the target")
    projected: float | None = Field(description="Projected value of the target's aggregate at the deadline")
    projected_lo: float | None
    projected_hi: float | None
    required_rate: float | None = Field(description="Needed per remaining period")
    current_rate: float | None
    current: float | None = Field(description="The aggregate so far, where the model reports it")
    as_of: UtcDateTime | None = Field(description="The period the assessment is as of")
    reason_en: str
    reason_zh: str
    model_version: str
    assessed_at: UtcDateTime


class TargetPublic(Public):
    target_id: str
    unique_id: str
    org_unit: str
    indicator: str
    target: float
    start: date
    deadline: date
    direction: Direction
    aggregation: Literal["last", "mean", "sum"]
    created_at: UtcDateTime
    updated_at: UtcDateTime = Field(description="When the definition last changed")
    risk: TargetRiskState | None = Field(description="null until the series has observations")


class TargetsPublic(Public):
    data: list[TargetPublic]
    count: int = Field(description="Targets matching the filters (all pages)")


class Unassessed(Public):
    target_id: str
    reason: str


class TargetsUpsertResult(Public):
    inserted: int
    updated: int
    unchanged: int
    assessed: int = Field(description="New or changed targets assessed against their stored observations")
    unassessed: list[Unassessed] = Field(
        description="New or changed targets left without a risk: no observations yet, or the model declined"
    )
    model_version: str
    targets: list[TargetPublic] = Field(description="The targets of the batch, in request order")
    alerts: list[AlertPublic] = Field(description="target_risk alerts raised by this batch")
