"""The analysts' RAG board of stored targets and a target's page.

Targets and their latest assessments are read with the API's own code
(:func:`api.services.targets.targets_query`, :func:`~api.services.targets.public` and the
order of ``GET /v1/targets?sort=p_miss``): nothing is recomputed here. The target's page
draws the stored assessment's projection (:func:`govperf_ml.plots.target.target_chart`).
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import func, select

from api.console import inbox_format
from api.console.i18n import translator
from api.console.formats import svg_uri
from api.console.web import ANALYSTS, ConsoleError, ViewerDep, lang_of, render, require_role
from api.db import Observation, Target
from api.deps import SessionDep
from api.services import count
from api.services import targets as service
from govperf_ml.plots import to_svg
from govperf_ml.plots.target import target_chart
from govperf_ml.vocabulary import RISK_STATUSES

router = APIRouter(prefix="/console/targets", include_in_schema=False)
BOARD = "/console/targets"
PAGE_SIZE = 50
STATUSES = (*reversed(RISK_STATUSES), "unassessed")  # red, amber, green, unassessed


def _status_counts(session) -> dict[str, int]:
    found = dict(session.execute(select(Target.risk_status, func.count()).group_by(Target.risk_status)).all())
    return {s: int(found.get(None if s == "unassessed" else s, 0)) for s in STATUSES}


def _page(value: str, last: int) -> int:
    if not value.isdigit() or not 1 <= int(value) <= last:
        raise ConsoleError(422, "targets_err_page", value=value[:20], last=last)
    return int(value)


@router.get("", response_class=HTMLResponse)
def board(request: Request, viewer: ViewerDep, session: SessionDep, status: str = "", page: str = "1"):
    require_role(viewer, ANALYSTS)
    if status and status not in STATUSES:
        raise ConsoleError(422, "targets_err_status", value=status[:40], allowed=", ".join(STATUSES))
    stmt = service.targets_query(status=status or None)
    total = count(session, stmt)
    last = max(1, -(-total // PAGE_SIZE))
    number = _page(page, last)
    order = (Target.p_miss.is_(None), Target.p_miss.desc(), Target.target_id)  # as GET /v1/targets?sort=p_miss
    found = session.execute(stmt.order_by(*order).limit(PAGE_SIZE).offset((number - 1) * PAGE_SIZE)).scalars()
    return render(
        request, "targets.html", viewer, rows=[service.public(t) for t in found], counts=_status_counts(session),
        status=status, statuses=STATUSES, total=total, page=number, last_page=last,
        query=lambda **changes: urlencode({k: v for k, v in ({"status": status} | changes).items() if v}),
        **inbox_format.template_helpers(lang_of(request)),
    )


def _chart(session, target: Target, lang: str) -> str:
    t = translator(lang)
    rows = session.execute(
        select(Observation.ds, Observation.value).where(Observation.unique_id == target.unique_id)
        .where(Observation.ds <= target.deadline).order_by(Observation.ds)
    ).all()
    keys = ("history", "target", "forecast", "fan80", "fan95")
    fig = target_chart(
        [r.ds for r in rows], [r.value for r in rows], start=target.start, deadline=target.deadline,
        target=target.target, aggregation=target.aggregation, projected=target.projected,
        projected_lo=target.projected_lo, projected_hi=target.projected_hi,
        labels={k: t(f"targets_chart_{k}_{target.aggregation}" if k == "history" else f"targets_chart_{k}")
                for k in keys},
    )
    return svg_uri(to_svg(fig))


@router.get("/{target_id:path}", response_class=HTMLResponse)
def target_view(request: Request, target_id: str, viewer: ViewerDep, session: SessionDep):
    require_role(viewer, ANALYSTS)
    target = session.execute(select(Target).where(Target.target_id == target_id)).scalar_one_or_none()
    if target is None:
        raise ConsoleError(404, "targets_err_404", id=target_id[:200], back=BOARD, back_label="targets_back")
    lang = lang_of(request)
    return render(
        request, "target.html", viewer, target=service.public(target), chart=_chart(session, target, lang),
        **inbox_format.template_helpers(lang),
    )
