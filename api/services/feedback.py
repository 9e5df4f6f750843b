"""Citizen messages into the database: mask, classify, store (the router and the
sample-city loader both call :func:`classify_and_store`)."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db import FeedbackMessage
from api.schemas.common import finite, float_dict, naive_utc, str_list, text
from api.services import in_chunks
from govperf_ml.contracts import DataContractError, short
from govperf_ml.feedback.pii import mask_pii

LOCKED = ("confirmed", "corrected")  # a handler's decision is not overwritten by the model


@dataclass
class Stored:
    """One classified message: its row (stored) and the fields the model gave it."""

    row: FeedbackMessage
    fields: dict


def _ids(messages: Sequence) -> list[str]:
    ids = [m.message_id or f"msg-{uuid.uuid4().hex}" for m in messages]
    dupes = sorted(i for i, n in Counter(ids).items() if n > 1)
    if dupes:
        raise DataContractError(f"feedback: message ids sent twice: {short(dupes)}", field="message_id", ids=dupes)
    return ids


def _fields(r: dict, masked_text: str, model_label: str) -> dict:
    confidence = finite(r.get("area_confidence"))
    return dict(
        masked_text=masked_text,
        area=text(r.get("area")) or None,
        area_confidence=confidence,
        area_probabilities=float_dict(r.get("area_probabilities")),
        dimensions=str_list(r.get("dimensions")),
        dimension_probabilities=float_dict(r.get("dimension_probabilities")),
        needs_review=bool(r.get("needs_review")) or confidence is None,
        model_version=model_label,
    )


def classify_and_store(session: Session, model, messages: Sequence, *, review_threshold: float) -> list[Stored]:
    """Mask each message's text (the raw text goes no further), classify the masked text
    with ``model`` (the feedback champion) and upsert the rows by message id: a re-sent
    message gets the new prediction, but a handler's confirmed or corrected status stays.
    ``messages`` carry ``message_id, text, channel, received_at, org_unit`` (``MessageIn``)."""
    ids = _ids(messages)
    masks = {t: mask_pii(t) for t in dict.fromkeys(m.text for m in messages)}  # a repeated text is masked once
    masked = [masks[m.text] for m in messages]
    result = model.estimator.classify(pd.DataFrame({"message_id": ids, "text": masked}), review_threshold=review_threshold)
    by_id = {str(r["message_id"]): r for r in result.to_dict("records")}
    existing: dict[str, FeedbackMessage] = {}
    for chunk in in_chunks(ids, 500):
        rows = session.execute(select(FeedbackMessage).where(FeedbackMessage.message_id.in_(chunk))).scalars()
        existing.update((m.message_id, m) for m in rows)
    out = []
    for message_id, msg, masked_text in zip(ids, messages, masked, strict=True):
        r = by_id.get(message_id)
        if r is None:
            raise RuntimeError("the feedback model returned no row for a message")
        fields = _fields(r, masked_text, model.label)
        status = "pending_review" if fields["needs_review"] else "auto_tagged"
        meta = dict(channel=msg.channel, received_at=naive_utc(msg.received_at) if msg.received_at else None,
                    org_unit=msg.org_unit)
        row = existing.get(message_id)
        if row is None:
            row = FeedbackMessage(message_id=message_id, status=status, **fields, **meta)
            session.add(row)
        else:
            for key, value in fields.items():
                setattr(row, key, value)
            for key, value in meta.items():
                if value is not None:
                    setattr(row, key, value)
            if row.status not in LOCKED:
                row.status = status
        out.append(Stored(row=row, fields=fields))
    session.flush()
    return out
