"""Webhook subscriptions: the caller's upsert, its view with delivery stats, dead letters."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, HttpUrl, UrlConstraints, field_validator

from api.schemas.alerts import AlertKind
from api.schemas.common import Public, Schema

WebhookEvent = Literal["alert.created", "alert.updated"]
DeliveryStatus = Literal["pending", "delivered", "failed"]
WebhookUrl = Annotated[HttpUrl, UrlConstraints(max_length=2048, allowed_schemes=["http", "https"])]


class SubscriptionUpsert(Schema):
    url: WebhookUrl = Field(description="Where alert events are POSTed (http or https)")
    secret: str = Field(
        min_length=32,
        max_length=256,
        description="Shared secret for the HMAC-SHA256 signature of every body; stored, never returned",
    )
    kinds: list[AlertKind] | None = Field(None, description="Alert kinds to push; null or absent: all")
    events: list[WebhookEvent] | None = Field(None, description="Event types to push; null or absent: all")
    active: bool = Field(True, description="An inactive subscription queues nothing and delivers nothing")

    @field_validator("url")
    @classmethod
    def _no_credentials(cls, value: HttpUrl) -> HttpUrl:
        if value.username or value.password:
            raise ValueError("must not hold credentials (it is shown back); the signature authenticates")
        return value

    @field_validator("secret")
    @classmethod
    def _printable(cls, value: str) -> str:
        if not value.isprintable() or value != value.strip():
            raise ValueError("must be printable, without surrounding whitespace")
        return value

    @field_validator("kinds", "events")
    @classmethod
    def _distinct(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and not value:
            raise ValueError("give at least one, or null for all")
        return sorted(set(value)) if value is not None else None


class DeliveryStats(Public):
    pending: int
    delivered: int
    failed: int = Field(description="Dead-lettered events (undelivered after the max age or attempts)")
    last_error: str | None = Field(description="The latest failed attempt's error, of any event")
    last_error_at: datetime | None
    last_delivered_at: datetime | None
    next_attempt_at: datetime | None = Field(description="When the oldest pending event is tried next")


class SubscriptionPublic(Public):
    consumer: str = Field(description="The API key's fingerprint this subscription belongs to")
    url: str
    kinds: list[AlertKind] | None
    events: list[WebhookEvent] | None
    active: bool
    created_at: datetime
    updated_at: datetime
    deliveries: DeliveryStats


class DeliveryPublic(Public):
    idempotency_key: str
    event: WebhookEvent
    alert_id: int
    seq: int
    status: DeliveryStatus
    attempts: int
    last_error: str | None
    last_attempt_at: datetime | None
    last_status_code: int | None
    created_at: datetime
    next_attempt_at: datetime | None
    delivered_at: datetime | None


class DeliveriesPublic(Public):
    data: list[DeliveryPublic]
    count: int
