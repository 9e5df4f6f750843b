"""Handlers' corrections: recorded (the API and the console share :func:`record_correction`)
and read back as training data for `govperf train feedback`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db import FeedbackCorrection, FeedbackMessage, make_engine, make_session_factory
from api.db.models import utcnow
from govperf_ml.contracts import DataContractError, short


class MessageNotFound(LookupError):
    """No stored feedback message has this id."""


@dataclass(frozen=True)
class Recorded:
    """A stored correction, with the message's tags before and after it."""

    correction: FeedbackCorrection
    status: str
    before: dict[str, Any]
    after: dict[str, Any]


def _checked_labels(estimator: Any, area: str, dimensions: list[str]) -> list[str]:
    areas = [str(c) for c in getattr(estimator, "classes_", [])]
    if area not in areas:
        raise DataContractError(f"area {area!r} is not a known service area; known: {areas}", field="area", ids=[area])
    known_dims = {str(c) for c in getattr(estimator, "dimension_classes_", [])}
    dims = list(dict.fromkeys(d.strip() for d in dimensions if d.strip()))
    unknown = [d for d in dims if d not in known_dims]
    if unknown:
        raise DataContractError(
            f"dimensions {short(unknown)} are not known service dimensions; known: {sorted(known_dims)}",
            field="dimensions",
            ids=unknown,
        )
    return dims


def record_correction(
    session: Session, estimator: Any, message_id: str, area: str, dimensions: list[str], *,
    handler_role: str, handler_key: str,
) -> Recorded:
    """Confirm or correct a message's tags and keep the correction as training data.

    Labels must be classes ``estimator`` knows (:class:`DataContractError` otherwise);
    the message becomes ``confirmed`` when they equal the prediction, else ``corrected``.
    Raises :class:`MessageNotFound` for an unknown ``message_id``.
    """
    dims = _checked_labels(estimator, area, dimensions)
    message = session.execute(
        select(FeedbackMessage).where(FeedbackMessage.message_id == message_id).with_for_update()
    ).scalar_one_or_none()
    if message is None:
        raise MessageNotFound(f"message {message_id!r} not found")
    before = {"area": message.area, "dimensions": list(message.dimensions or []), "status": message.status}
    same = area == message.area and set(dims) == set(message.dimensions or [])
    message.status = "confirmed" if same else "corrected"
    correction = FeedbackCorrection(
        message_id=message_id, area=area, dimensions=dims, handler_role=handler_role, handler_key=handler_key,
        created_at=utcnow(),
    )
    session.add(correction)
    session.flush()
    after = {"area": area, "dimensions": dims, "status": message.status}
    return Recorded(correction=correction, status=message.status, before=before, after=after)


def corrections_frame(database_url: str) -> pd.DataFrame:
    """The latest correction of each message, with its masked text.

    Columns ``message_id, text, area, dimensions`` — the feedback contract's training
    layout. Only masked text is ever stored, so nothing personal reaches training.
    """
    engine = make_engine(database_url)
    try:
        with make_session_factory(engine)() as session:
            rows = session.execute(
                select(FeedbackCorrection.message_id, FeedbackMessage.masked_text, FeedbackCorrection.area,
                       FeedbackCorrection.dimensions, FeedbackCorrection.id)
                .join(FeedbackMessage, FeedbackMessage.message_id == FeedbackCorrection.message_id)
                .order_by(FeedbackCorrection.id)
            ).all()
    finally:
        engine.dispose()
    frame = pd.DataFrame(rows, columns=["message_id", "text", "area", "dimensions", "id"])
    return frame.drop_duplicates("message_id", keep="last").drop(columns="id").reset_index(drop=True)
