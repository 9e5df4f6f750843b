"""Risk of missing targets by their deadlines: stateless, and for stored targets."""

from __future__ import annotations

import logging
from typing import Annotated, Literal

import pandas as pd
from fastapi import APIRouter, HTTPException, Path, Query
from fastapi import status as http
from sqlalchemy import select

from api.capacity import ComputeTurn
from api.retry import RetryOnConflict
from api.auth import AlertWriter, Planner
from api.db import Target
from api.deps import PageDep, SessionDep, TargetsModel
from api.schemas.alerts import AlertPublic
from api.schemas.common import RISK, Day, finite_fields, series_frame, text
from api.schemas.targets import (
    RiskStatus,
    TargetPublic,
    TargetRisk,
    TargetRiskRequest,
    TargetRiskResponse,
    TargetsPublic,
    TargetsUpsert,
    TargetsUpsertResult,
    targets_frame,
    Unassessed,
)
from api.services import count
from api.services import targets as service

router = APIRouter(prefix="/v1/targets", tags=["targets"], route_class=RetryOnConflict)  # upserts: see api.retry
logger = logging.getLogger("govperf.api")


@router.post("/risk", response_model=TargetRiskResponse, summary="Probability of missing each target",
              dependencies=[ComputeTurn])
def target_risk(_: Planner, body: TargetRiskRequest, model: TargetsModel) -> TargetRiskResponse:
    targets = targets_frame(body.targets)
    as_of = pd.Timestamp(body.as_of) if body.as_of else None
    assessed = model.estimator.assess(series_frame(body.series), targets, as_of=as_of)
    rows = [
        TargetRisk(
            target_id=str(r["target_id"]),
            unique_id=str(r["unique_id"]),
            status=text(r.get("status")),
            **finite_fields(r, RISK),
            reason_en=text(r.get("reason_en")),
            reason_zh=text(r.get("reason_zh")),
            model_version=model.label,
        )
        for r in assessed.to_dict("records")
    ]
    return TargetRiskResponse(model_version=model.label, assessments=rows)


@router.put(
    "",
    dependencies=[ComputeTurn],
    response_model=TargetsUpsertResult,
    summary="Store targets and assess them against the stored observations",
    description=(
        "Idempotent upsert by `target_id` (default `<unique_id>@<deadline>`): re-sending a batch "
        "changes nothing. New and changed targets are assessed right away against the stored "
        "observations of their series (those without observations are assessed when they arrive), "
        "and a target whose status is red raises a `target_risk` alert. From then on every "
        "`POST /v1/observations` touching the series re-assesses it, and a move into red raises a "
        "new alert. All in one transaction. 503 while the targets model is not loaded."
    ),
)
def upsert_targets(
    principal: AlertWriter, body: TargetsUpsert, model: TargetsModel, session: SessionDep
) -> TargetsUpsertResult:
    result = service.upsert(session, body.targets)
    assessed = service.assess(session, model, result.changed, principal=principal)
    logger.info(
        "targets: %d inserted, %d updated, %d unchanged, %d assessed, %d new alerts",
        result.inserted,
        result.updated,
        result.unchanged,
        assessed.assessed,
        len(assessed.alerts),
    )
    return TargetsUpsertResult(
        inserted=result.inserted,
        updated=result.updated,
        unchanged=result.unchanged,
        assessed=assessed.assessed,
        unassessed=[Unassessed(target_id=k, reason=v) for k, v in assessed.unassessed.items()],
        model_version=model.label,
        targets=[service.public(t) for t in result.targets],
        alerts=[AlertPublic.model_validate(a) for a in assessed.alerts],
    )


@router.get("", response_model=TargetsPublic, summary="List stored targets with their latest risk")
def list_targets(
    _: Planner,
    session: SessionDep,
    page: PageDep,
    status: Annotated[
        RiskStatus | Literal["unassessed"] | None, Query(description="Latest status; `unassessed`: no risk yet")
    ] = None,
    org_unit: str | None = None,
    indicator: str | None = None,
    unique_id: str | None = None,
    deadline_from: Annotated[Day | None, Query(description="Deadline on or after")] = None,
    deadline_to: Annotated[Day | None, Query(description="Deadline on or before")] = None,
    sort: Annotated[
        Literal["target_id", "p_miss"], Query(description="`p_miss`: most at risk first (unassessed last)")
    ] = "target_id",
) -> TargetsPublic:
    stmt = service.targets_query(
        status=status,
        org_unit=org_unit,
        indicator=indicator,
        unique_id=unique_id,
        deadline_from=deadline_from,
        deadline_to=deadline_to,
    )
    total = count(session, stmt)
    order = (
        (Target.p_miss.is_(None), Target.p_miss.desc(), Target.target_id) if sort == "p_miss" else (Target.target_id,)
    )
    rows = session.execute(stmt.order_by(*order).limit(page.limit).offset(page.offset)).scalars().all()
    return TargetsPublic(data=[service.public(t) for t in rows], count=total)


@router.get(
    "/{target_id:path}",
    response_model=TargetPublic,
    responses={404: {"description": "No target with this id"}},
    summary="One stored target with its latest risk",
)
def get_target(
    target_id: Annotated[str, Path(description="URL-encoded target_id")], _: Planner, session: SessionDep
) -> TargetPublic:
    target = session.execute(select(Target).where(Target.target_id == target_id)).scalar_one_or_none()
    if target is None:
        raise HTTPException(http.HTTP_404_NOT_FOUND, f"target {target_id!r} not found")
    return service.public(target)
