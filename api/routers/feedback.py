"""Citizen feedback: tag messages, queue the uncertain ones, learn from corrections.

Personal data: each text is masked (``govperf_ml.feedback.pii.mask_pii``) as the first
step; only the masked text is classified, stored, returned and ever logged.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter

import pandas as pd
from fastapi import APIRouter, HTTPException
from fastapi import status as http
from sqlalchemy import func, select

from api.capacity import ComputeTurn
from api.retry import RetryOnConflict
from api.auth import FeedbackHandler
from api.db import FeedbackMessage
from api.services.corrections import MessageNotFound, record_correction
from api.deps import FeedbackModel, PageDep, SessionDep, SettingsDep
from api.schemas.common import finite, float_dict, naive_utc, str_list, text
from api.schemas.feedback import (
    Classification,
    ClassifyRequest,
    ClassifyResponse,
    CorrectionCreate,
    CorrectionPublic,
    FeedbackPublic,
    ReviewQueue,
)
from govperf_ml.contracts import DataContractError, short
from govperf_ml.feedback.pii import mask_pii

router = APIRouter(prefix="/v1/feedback", tags=["feedback"], route_class=RetryOnConflict)  # upserts: see api.retry
logger = logging.getLogger("govperf.api")

LOCKED = ("confirmed", "corrected")  # a handler's decision is not overwritten by the model


@router.post(
    "/classify",
    dependencies=[ComputeTurn],
    response_model=ClassifyResponse,
    summary="Mask personal data, tag service area and dimensions, store for review",
    description="Up to 500 messages. Messages with low confidence go to the review queue. "
    "Re-sending a message id updates its prediction but never a handler's decision.",
)
def classify(
    _: FeedbackHandler, body: ClassifyRequest, model: FeedbackModel, session: SessionDep, settings: SettingsDep
) -> ClassifyResponse:
    ids = [m.message_id or f"msg-{uuid.uuid4().hex}" for m in body.messages]
    dupes = sorted(i for i, n in Counter(ids).items() if n > 1)
    if dupes:
        raise DataContractError(f"feedback: message ids sent twice: {short(dupes)}", field="message_id", ids=dupes)
    masked = [mask_pii(m.text) for m in body.messages]
    result = model.estimator.classify(
        pd.DataFrame({"message_id": ids, "text": masked}), review_threshold=settings.review_threshold
    )
    by_id = {str(r["message_id"]): r for r in result.to_dict("records")}

    existing = {
        m.message_id: m
        for m in session.execute(select(FeedbackMessage).where(FeedbackMessage.message_id.in_(ids))).scalars()
    }
    out: list[Classification] = []
    for message_id, msg, masked_text in zip(ids, body.messages, masked, strict=True):
        r = by_id.get(message_id)
        if r is None:
            raise RuntimeError("the feedback model returned no row for a message")
        confidence = finite(r.get("area_confidence"))
        needs_review = bool(r.get("needs_review")) or confidence is None
        fields = dict(
            masked_text=masked_text,
            area=text(r.get("area")) or None,
            area_confidence=confidence,
            area_probabilities=float_dict(r.get("area_probabilities")),
            dimensions=str_list(r.get("dimensions")),
            dimension_probabilities=float_dict(r.get("dimension_probabilities")),
            needs_review=needs_review,
            model_version=model.label,
        )
        meta = dict(
            channel=msg.channel,
            received_at=naive_utc(msg.received_at) if msg.received_at else None,
            org_unit=msg.org_unit,
        )
        row = existing.get(message_id)
        if row is None:
            row = FeedbackMessage(message_id=message_id, **fields, **meta)
            row.status = "pending_review" if needs_review else "auto_tagged"
            session.add(row)
        else:
            for key, value in fields.items():
                setattr(row, key, value)
            for key, value in meta.items():
                if value is not None:
                    setattr(row, key, value)
            if row.status not in LOCKED:
                row.status = "pending_review" if needs_review else "auto_tagged"
        out.append(Classification(message_id=message_id, status=row.status, **fields))
    session.flush()
    logger.info("feedback: %d messages classified, %d to review", len(out), sum(c.needs_review for c in out))
    return ClassifyResponse(model_version=model.label, messages=out)


@router.get(
    "/review",
    response_model=ReviewQueue,
    summary="Messages waiting for a handler (low confidence, not yet corrected)",
)
def review_queue(_: FeedbackHandler, session: SessionDep, page: PageDep) -> ReviewQueue:
    where = FeedbackMessage.status == "pending_review"
    total = session.execute(select(func.count()).select_from(FeedbackMessage).where(where)).scalar_one()
    rows = session.execute(
        select(FeedbackMessage)
        .where(where)
        .order_by(FeedbackMessage.created_at, FeedbackMessage.id)
        .limit(page.limit)
        .offset(page.offset)
    ).scalars()
    return ReviewQueue(data=[FeedbackPublic.model_validate(r) for r in rows], count=total)


@router.post(
    "/{message_id}/corrections",
    response_model=CorrectionPublic,
    status_code=http.HTTP_201_CREATED,
    responses={404: {"description": "No stored message with this id"}},
    summary="Confirm or correct a message's tags",
    description="Labels must be classes the feedback model knows (422 otherwise). The message "
    "becomes `confirmed` when the labels equal the prediction, else `corrected`; the correction "
    "is kept as training data.",
)
def correct(
    message_id: str, principal: FeedbackHandler, body: CorrectionCreate, model: FeedbackModel, session: SessionDep
) -> CorrectionPublic:
    try:
        recorded = record_correction(
            session, model.estimator, message_id, body.area, body.dimensions,
            handler_role=principal.role, handler_key=principal.key_id,
        )
    except MessageNotFound as err:
        raise HTTPException(http.HTTP_404_NOT_FOUND, str(err)) from None
    correction = recorded.correction
    return CorrectionPublic(
        message_id=message_id,
        area=correction.area,
        dimensions=correction.dimensions,
        status=recorded.status,
        handler_role=principal.role,
        created_at=correction.created_at,
    )
