"""The handlers' review queue: least confident messages first, confirm or correct by keyboard.

Corrections go through :func:`api.services.corrections.record_correction`, the code behind
``POST /v1/feedback/{message_id}/corrections``, so they feed ``govperf train feedback``
the same way; each one is also written to the audit trail with the handler's name.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import func, select

from api.console.users import audit
from api.console.web import HANDLERS, ConsoleError, ViewerDep, check_csrf, lang_of, render, require_role
from api.db import FeedbackMessage
from api.deps import ServedModel, SessionDep, model_dep
from api.services.corrections import MessageNotFound, record_correction
from govperf_ml.contracts import DataContractError
from govperf_ml.feedback.taxonomy import load_taxonomy

router = APIRouter(prefix="/console/review", include_in_schema=False)
ModelIfLoaded = Annotated[ServedModel | None, Depends(model_dep("feedback", required=False))]
QUEUE_SHOWN = 10
DIMENSION_KEYS = "abcdefghijklmnopqrstuvwxyz"


def _labels(model: ServedModel, lang: str) -> tuple[list[dict], list[dict]]:
    """Areas (key 1..n) and dimensions (key a, b, ...) the model knows, named in ``lang``."""
    taxonomy = load_taxonomy()
    areas = [str(c) for c in getattr(model.estimator, "classes_", [])]
    dims = [str(c) for c in getattr(model.estimator, "dimension_classes_", [])]
    return (
        [{"id": a, "key": str(i + 1) if i < 9 else "", "name": taxonomy.area_name(a, lang)} for i, a in enumerate(areas)],
        [{"id": d, "key": DIMENSION_KEYS[i] if i < len(DIMENSION_KEYS) else "",
          "name": taxonomy.dimensions.get(d, {}).get(lang, d)} for i, d in enumerate(dims)],
    )


def _counts(session) -> dict[str, int]:
    by_status = dict(session.execute(
        select(FeedbackMessage.status, func.count()).group_by(FeedbackMessage.status)
    ).all())
    return {
        "auto": by_status.get("auto_tagged", 0),
        "pending": by_status.get("pending_review", 0),
        "reviewed": by_status.get("confirmed", 0) + by_status.get("corrected", 0),
    }


def _queue(session) -> list[FeedbackMessage]:
    return list(session.execute(
        select(FeedbackMessage)
        .where(FeedbackMessage.status == "pending_review")
        .order_by(FeedbackMessage.area_confidence.is_(None).desc(), FeedbackMessage.area_confidence,
                  FeedbackMessage.id)
        .limit(QUEUE_SHOWN + 1)
    ).scalars())


def _model(model: ServedModel | None) -> ServedModel:
    if model is None:
        raise ConsoleError(503, "err_503")
    return model


@router.get("", response_class=HTMLResponse)
def review_page(request: Request, viewer: ViewerDep, session: SessionDep, model: ModelIfLoaded,
                saved: str = "", id: str = ""):
    require_role(viewer, HANDLERS)
    areas, dims = _labels(_model(model), lang_of(request))
    queue = _queue(session)
    current: Any = queue[0] if queue else None
    return render(
        request, "review.html", viewer, counts=_counts(session), current=current, upcoming=queue[1:],
        areas=areas, dims=dims, saved=saved if saved in ("confirmed", "corrected") else "", saved_id=id[:128],
    )


@router.post("/{message_id}")
def correct(
    message_id: str,
    viewer: ViewerDep,
    session: SessionDep,
    model: ModelIfLoaded,
    area: Annotated[str, Form()] = "",
    dimensions: Annotated[list[str], Form()] = [],  # noqa: B006 (FastAPI copies defaults)
    csrf: Annotated[str, Form()] = "",
):
    require_role(viewer, HANDLERS)
    check_csrf(viewer.session.csrf_token, csrf)
    user = viewer.user
    try:
        recorded = record_correction(
            session, _model(model).estimator, message_id, area, dimensions,
            handler_role=user.role, handler_key=f"user:{user.id}"[:16],
        )
    except MessageNotFound:
        raise ConsoleError(404, "err_404") from None
    except DataContractError as err:
        raise ConsoleError(422, "err_422", detail=str(err)) from None
    action = "feedback.confirm" if recorded.status == "confirmed" else "feedback.correct"
    audit(session, user.username, action, "feedback_message", message_id, recorded.before, recorded.after)
    query = urlencode({"saved": recorded.status, "id": message_id})
    return RedirectResponse(f"/console/review?{query}", status_code=303)
