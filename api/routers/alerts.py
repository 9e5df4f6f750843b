"""Alerts for supervisors and the scoring core: list, read, change status."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query
from fastapi import status as http

from api.auth import AlertReader, AlertWriter
from api.db import Alert
from api.deps import PageDep, SessionDep
from api.schemas.alerts import (
    AlertDetail,
    AlertEvidence,
    AlertKind,
    AlertPublic,
    AlertsPublic,
    AlertStatus,
    AlertStatusUpdate,
    Severity,
)
from api.schemas.common import MAX_ID, Moment, period
from api.services import count
from api.services import alerts as service
from api.services import alert_evidence as evidence_service

AlertId = Annotated[int, Path(ge=1, le=MAX_ID, description="The alert's id")]
router = APIRouter(prefix="/v1/alerts", tags=["alerts"])

NOT_FOUND = {404: {"description": "No alert with this id"}}


@router.get(
    "",
    response_model=AlertsPublic,
    summary="List alerts",
    description=(
        "Alerts in ascending `seq` order. `seq` is renewed whenever an alert is created or changes "
        "status, so polling with `after_seq=<next_cursor>` returns every new or changed alert once."
    ),
)
def list_alerts(
    _: AlertReader,
    session: SessionDep,
    page: PageDep,
    org_unit: str | None = None,
    indicator: str | None = None,
    kind: AlertKind | None = None,
    severity: Severity | None = None,
    status: AlertStatus | None = None,
    since: Annotated[Moment | None, Query(description="ds on or after")] = None,
    until: Annotated[Moment | None, Query(description="ds on or before")] = None,
    after_seq: Annotated[
        int | None, Query(ge=0, le=MAX_ID, description="Cursor: only alerts with a larger seq")
    ] = None,
) -> AlertsPublic:
    stmt = service.alerts_query(
        org_unit=org_unit,
        indicator=indicator,
        kind=kind,
        severity=severity,
        status=status,
        since=period(since) if since else None,
        until=period(until) if until else None,
        after_seq=after_seq,
    )
    total = count(session, stmt)
    rows = session.execute(stmt.order_by(Alert.seq).limit(page.limit).offset(page.offset)).scalars().all()
    data = [AlertPublic.model_validate(a) for a in rows]
    return AlertsPublic(data=data, count=total, next_cursor=data[-1].seq if data else after_seq)


@router.get("/{alert_id}", response_model=AlertDetail, responses=NOT_FOUND, summary="One alert with its history and evidence",
            description="The alert, its status history and its `evidence`: for a `feedback_surge`, the messages "
            "(masked excerpts), key terms and the linked open KPI alerts and red targets of the same district and "
            "dimension; for a KPI alert, the complaints of its district and dimension in its period.")
def get_alert(alert_id: AlertId, _: AlertReader, session: SessionDep) -> AlertDetail:
    alert = service.get_alert(session, alert_id)
    if alert is None:
        raise HTTPException(http.HTTP_404_NOT_FOUND, f"alert {alert_id} not found")
    return _detail(session, alert)


def _detail(session, alert: Alert) -> AlertDetail:
    detail = AlertDetail.model_validate(alert)
    found = evidence_service.evidence(session, alert)
    detail.evidence = AlertEvidence.model_validate(found) if found is not None else None
    return detail


@router.patch(
    "/{alert_id}",
    response_model=AlertDetail,
    responses={**NOT_FOUND, 409: {"description": "The status change is not allowed"}},
    summary="Acknowledge, resolve or dismiss an alert",
    description="open → acknowledged → resolved | dismissed, or open → resolved | dismissed. "
    "Dismissing needs a reason. Each change is recorded in the alert's events.",
)
def update_alert(alert_id: AlertId, principal: AlertWriter, body: AlertStatusUpdate, session: SessionDep) -> AlertDetail:
    alert = service.get_alert(session, alert_id, for_update=True)
    if alert is None:
        raise HTTPException(http.HTTP_404_NOT_FOUND, f"alert {alert_id} not found")
    service.change_status(session, alert, body.status, body.reason, principal)
    return _detail(session, alert)
