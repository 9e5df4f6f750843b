"""Citizen feedback: classification, the review queue and handlers' corrections.

Responses carry the masked text only; the raw text is never stored or returned.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from api.schemas.common import Moment, Name, Public, Schema, UtcDateTime

#: C0 controls and DEL, except tab, line feed and carriage return
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

Channel = Literal["hotline_12345", "message_board", "mayor_mailbox", "survey", "other"]
FeedbackStatus = Literal["pending_review", "auto_tagged", "confirmed", "corrected"]


class MessageIn(Schema):
    message_id: str | None = Field(
        None,
        min_length=1,
        max_length=128,
        pattern=r"^[A-Za-z0-9._:@/-]+$",
        description="The caller's id; one is made when absent",
    )
    text: str = Field(
        min_length=1,
        max_length=20_000,
        description="The message; control characters other than tab and line breaks are refused",
        json_schema_extra={"pattern": r"^[^\x00-\x08\x0b\x0c\x0e-\x1f]*$"},
    )
    channel: Channel | None = None
    received_at: Moment | None = None
    org_unit: Name | None = None

    @field_validator("text")
    @classmethod
    def _no_control_characters(cls, value: str) -> str:
        bad = _CONTROL.search(value)
        if bad is not None:  # NUL cannot even be stored in PostgreSQL text
            raise ValueError(f"must not contain control characters (found U+{ord(bad.group()):04X})")
        if not value.strip():
            raise ValueError("must not be blank (only white space)")
        return value


class ClassifyRequest(Schema):
    messages: list[MessageIn] = Field(min_length=1, max_length=500)


class Classification(Public):
    message_id: str
    masked_text: str
    area: str | None
    area_confidence: float | None
    area_probabilities: dict[str, float | None]
    dimensions: list[str]
    dimension_probabilities: dict[str, float | None]
    needs_review: bool
    status: FeedbackStatus
    model_version: str


class ClassifyResponse(Public):
    model_version: str
    messages: list[Classification]


class FeedbackPublic(Public):
    """A stored message as complaint handlers see it in the review queue."""

    message_id: str
    masked_text: str
    channel: str | None
    received_at: UtcDateTime | None
    org_unit: str | None
    area: str | None
    area_confidence: float | None
    area_probabilities: dict[str, float | None]
    dimensions: list[str]
    dimension_probabilities: dict[str, float | None]
    needs_review: bool
    status: FeedbackStatus
    model_version: str
    created_at: UtcDateTime


class ReviewQueue(Public):
    data: list[FeedbackPublic]
    count: int


class CorrectionCreate(Schema):
    area: str = Field(min_length=1, max_length=64)
    dimensions: list[str] = Field(default_factory=list, max_length=20)


class CorrectionPublic(Public):
    message_id: str
    area: str
    dimensions: list[str]
    status: FeedbackStatus = Field(description="confirmed (model was right) or corrected")
    handler_role: str
    created_at: UtcDateTime
