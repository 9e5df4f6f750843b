"""The supervisors' alert inbox and alert page.

Status changes go through :func:`api.services.alerts.change_status`, the code behind
``PATCH /v1/alerts/{id}`` (so dismissals feed the dismissal tuning the same way, and
webhooks hear of them), checked by the API's own :class:`AlertStatusUpdate`, and are
written to the audit trail with the supervisor's name.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from api.auth import Principal
from api.console import alert_page, inbox_format, inbox_query
from api.console.users import audit
from api.console.web import SUPERVISORS, ConsoleError, ViewerDep, check_csrf, lang_of, render, require_role
from api.deps import SessionDep
from api.errors import Conflict
from api.schemas.alerts import AlertStatusUpdate
from api.schemas.common import MAX_ID
from api.services import alerts as service
from govperf_ml.vocabulary import ALERT_KINDS, ALERT_STATUSES, SEVERITIES

router = APIRouter(prefix="/console/alerts", include_in_schema=False)
INBOX = "/console/alerts"


@router.get("", response_class=HTMLResponse)
def inbox(
    request: Request, viewer: ViewerDep, session: SessionDep,
    org_unit: str = "", indicator: str = "", dimension: str = "", kind: str = "", severity: str = "",
    status: str = "", since: str = "", until: str = "", page: str = "1",
):
    require_role(viewer, SUPERVISORS)
    f = inbox_query.parse_filter(session, org_unit=org_unit, indicator=indicator, dimension=dimension, kind=kind,
                                 severity=severity, status=status, since=since, until=until)
    number = inbox_query.page_number(page)
    counts = inbox_query.kind_counts(session, f)
    total = counts[f.kind] if f.kind else sum(counts.values())
    last_page = min(inbox_query.MAX_PAGE, max(1, -(-total // inbox_query.PAGE_SIZE)))
    if number > last_page:
        raise ConsoleError(422, "alerts_err_page", value=str(number), last=last_page)
    units, indicators = inbox_query.choices(session)
    lang = lang_of(request)
    return render(
        request, "alerts.html", viewer, f=f, counts=counts, total=total, rows=inbox_query.rows(session, f, number),
        page=number, last_page=last_page, capped=total > inbox_query.MAX_PAGE * inbox_query.PAGE_SIZE,
        units=units, indicators=indicators, dimensions=inbox_format.DIMENSIONS,
        kinds=ALERT_KINDS, severities=SEVERITIES, statuses=ALERT_STATUSES,
        **inbox_format.template_helpers(lang),
    )


def _alert_id(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= MAX_ID:
        raise ConsoleError(404, "alerts_err_404", id=value[:40], back=INBOX, back_label="alerts_back")
    return int(value)


def _alert(session, value: str, *, for_update: bool = False):
    alert = service.get_alert(session, _alert_id(value), for_update=for_update)
    if alert is None:
        raise ConsoleError(404, "alerts_err_404", id=value[:40], back=INBOX, back_label="alerts_back")
    return alert


@router.get("/{alert_id}", response_class=HTMLResponse)
def alert_view(request: Request, alert_id: str, viewer: ViewerDep, session: SessionDep, saved: str = ""):
    require_role(viewer, SUPERVISORS)
    alert = _alert(session, alert_id)
    lang = lang_of(request)
    target = alert_page.target_of(session, alert)
    found = alert_page.peers(session, alert)
    return render(
        request, "alert.html", viewer, alert=alert, target=target, peers=found,
        chart=alert_page.chart(session, alert, target, found, lang),
        **alert_page.evidence_context(session, alert, lang),
        moves=sorted(service.TRANSITIONS[alert.status]), audit_entries=alert_page.audit_entries(session, alert.id),
        saved=saved if saved in ALERT_STATUSES else "",
        **inbox_format.template_helpers(lang),
    )


@router.post("/{alert_id}/status")
def change_status(
    alert_id: str, viewer: ViewerDep, session: SessionDep,
    status: Annotated[str, Form()] = "", reason: Annotated[str, Form()] = "", csrf: Annotated[str, Form()] = "",
):
    require_role(viewer, SUPERVISORS)
    check_csrf(viewer.session.csrf_token, csrf)
    try:
        change = AlertStatusUpdate(status=status, reason=reason or None)
    except ValidationError as err:
        detail = "; ".join(e["msg"].removeprefix("Value error, ") for e in err.errors())
        raise ConsoleError(422, "alerts_err_change", detail=detail[:300], back=f"{INBOX}/{alert_id}",
                           back_label="alerts_back_alert") from None
    alert = _alert(session, alert_id, for_update=True)
    user = viewer.user
    before = {"status": alert.status, "reason": alert.status_reason}
    try:
        service.change_status(session, alert, change.status, change.reason,
                              Principal(role=user.role, key_id=f"user:{user.id}"[:16]))
    except Conflict as err:
        raise ConsoleError(409, "alerts_err_conflict", detail=str(err), back=f"{INBOX}/{alert.id}",
                           back_label="alerts_back_alert") from None
    audit(session, user.username, f"alert.{change.status}", "alert", str(alert.id), before,
          {"status": alert.status, "reason": alert.status_reason})
    return RedirectResponse(f"{INBOX}/{alert.id}?saved={alert.status}", status_code=303)
