"""Alerts and their status changes."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from api.schemas.common import Public, Schema, UtcDateTime

AlertKind = Literal[
    "performance_anomaly", "data_quality", "suspected_misreporting", "peer_outlier", "target_risk", "model_drift"
]
Severity = Literal["low", "medium", "high"]
AlertStatus = Literal["open", "acknowledged", "resolved", "dismissed"]


class AlertPublic(Public):
    id: int
    seq: int = Field(description="Cursor: changes whenever the alert is created or changes status")
    unique_id: str
    org_unit: str
    indicator: str
    ds: UtcDateTime
    kind: AlertKind
    severity: Severity
    observed: float | None
    expected: float | None
    lower: float | None
    upper: float | None
    score: float | None
    detectors: list[str]
    reason_en: str
    reason_zh: str
    model_version: str
    status: AlertStatus
    status_reason: str | None
    created_at: UtcDateTime
    updated_at: UtcDateTime


class AlertEventPublic(Public):
    from_status: AlertStatus | None
    to_status: AlertStatus
    reason: str | None
    actor_role: str
    created_at: UtcDateTime


class AlertDetail(AlertPublic):
    events: list[AlertEventPublic]


class AlertsPublic(Public):
    data: list[AlertPublic]
    count: int = Field(description="Alerts matching the filters (all pages)")
    next_cursor: int | None = Field(
        description="Pass as after_seq for the alerts after this page; the last seq returned, "
        "or the after_seq you sent when the page is empty"
    )


class AlertStatusUpdate(Schema):
    status: Literal["acknowledged", "resolved", "dismissed"]
    reason: str | None = Field(None, max_length=2000, validate_default=True, description="Required when dismissing")

    @field_validator("reason")
    @classmethod
    def _reason_for_dismissal(cls, value: str | None, info: ValidationInfo) -> str | None:
        value = value.strip() if value else None
        if info.data.get("status") == "dismissed" and not value:
            raise ValueError("a reason is required to dismiss an alert")
        return value
