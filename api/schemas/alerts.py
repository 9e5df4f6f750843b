"""Alerts and their status changes."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from api.schemas.common import Public, Schema, UtcDateTime

AlertKind = Literal[
    "performance_anomaly", "data_quality", "suspected_misreporting", "peer_outlier", "target_risk", "model_drift", "feedback_surge"
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
    evidence: AlertEvidence | None = Field(
        None, description="Linked complaints, KPI alerts and red targets of the same district and dimension "
        "(null where the indicator has no service dimension)")


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


class ComplaintCount(Public):
    org_unit: str
    area: str | None = Field(description="The service area (a surge's own); null: every area")
    dimension: str = Field(description="The service dimension of the messages")
    count: int = Field(description="Messages in the evidence period")
    baseline: float | None = Field(description="Messages a month in the months before (KPI alerts); null for a surge")


class MessageExcerpt(Public):
    message_id: str
    received_at: UtcDateTime | None
    area: str | None
    dimensions: list[str]
    excerpt: str = Field(description="The start of the message's masked text (personal data replaced)")


class LinkedAlert(Public):
    id: int
    kind: AlertKind
    indicator: str
    ds: UtcDateTime
    status: AlertStatus
    severity: Severity


class LinkedTarget(Public):
    target_id: str
    indicator: str
    start: date
    deadline: date
    risk_status: str | None
    p_miss: float | None


class AlertEvidence(Public):
    """Complaints ↔ KPIs of the same district and dimension (``SERVICE_TO_EVALUATION``)."""

    period_start: UtcDateTime
    period_end: UtcDateTime = Field(description="Exclusive")
    complaints: list[ComplaintCount]
    messages: list[MessageExcerpt] = Field(description="A few of the period's messages, masked text only")
    key_terms: list[str] = Field(description="Words marking a surge's messages against the district's earlier ones")
    linked_alerts: list[LinkedAlert] = Field(
        description="A surge: the open or acknowledged KPI alerts; a KPI alert: the complaint surges")
    linked_targets: list[LinkedTarget] = Field(description="A surge: the red targets running over it")


AlertDetail.model_rebuild()
