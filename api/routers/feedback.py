"""Citizen feedback: tag messages, queue the uncertain ones, learn from corrections.

Personal data: each text is masked (``govperf_ml.feedback.pii.mask_pii``) as the first
step; only the masked text is classified, stored, returned and ever logged.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, HTTPException
from fastapi import status as http
from sqlalchemy import func, select

from api.capacity import ComputeTurn
from api.retry import RetryOnConflict
from api.auth import FeedbackHandler
from api.db import FeedbackMessage
from api.services import feedback_surges as surge_service
from api.services.corrections import MessageNotFound, record_correction
from api.services.feedback import classify_and_store
from api.deps import FeedbackModel, PageDep, SessionDep, SettingsDep
from api.schemas.feedback import (
    Classification,
    ClassifyRequest,
    ClassifyResponse,
    CorrectionCreate,
    CorrectionPublic,
    FeedbackPublic,
    ReviewQueue,
)

router = APIRouter(prefix="/v1/feedback", tags=["feedback"], route_class=RetryOnConflict)  # upserts: see api.retry
logger = logging.getLogger("govperf.api")


@router.post(
    "/classify",
    dependencies=[ComputeTurn],
    response_model=ClassifyResponse,
    summary="Mask personal data, tag service area and dimensions, store for review",
    description="Up to 500 messages. Messages with low confidence go to the review queue. "
    "Re-sending a message id updates its prediction but never a handler's decision.",
)
def classify(
    principal: FeedbackHandler, body: ClassifyRequest, model: FeedbackModel, session: SessionDep, settings: SettingsDep
) -> ClassifyResponse:
    stored = classify_and_store(session, model, body.messages, review_threshold=settings.review_threshold)
    out = [Classification(message_id=s.row.message_id, status=s.row.status, **s.fields) for s in stored]
    if any(s.row.org_unit and s.row.received_at and s.row.area for s in stored):
        surge_service.raise_surges(session, principal=principal)
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
