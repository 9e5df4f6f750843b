"""Handlers' corrections as training data for `govperf train feedback`."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select

from api.db import FeedbackCorrection, FeedbackMessage, make_engine, make_session_factory


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
