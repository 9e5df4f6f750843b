"""Risk of missing targets by their deadlines."""

from __future__ import annotations

import pandas as pd
from fastapi import APIRouter

from api.auth import Planner
from api.deps import TargetsModel
from api.schemas.common import finite, series_frame, text
from api.schemas.targets import TargetRisk, TargetRiskRequest, TargetRiskResponse

router = APIRouter(prefix="/v1/targets", tags=["targets"])


@router.post("/risk", response_model=TargetRiskResponse, summary="Probability of missing each target")
def target_risk(_: Planner, body: TargetRiskRequest, model: TargetsModel) -> TargetRiskResponse:
    targets = pd.DataFrame(
        {
            "unique_id": [t.unique_id for t in body.targets],
            "target": [t.target for t in body.targets],
            "deadline": pd.to_datetime([t.deadline for t in body.targets]),
            "direction": [t.direction for t in body.targets],
            "aggregation": [t.aggregation for t in body.targets],
            "start": pd.to_datetime([t.start for t in body.targets]),
        }
    )
    if any(t.target_id for t in body.targets):
        targets["target_id"] = [t.target_id or f"{t.unique_id}@{t.deadline:%Y-%m-%d}" for t in body.targets]
    as_of = pd.Timestamp(body.as_of) if body.as_of else None
    assessed = model.estimator.assess(series_frame(body.series), targets, as_of=as_of)
    rows = [
        TargetRisk(
            target_id=str(r["target_id"]),
            unique_id=str(r["unique_id"]),
            p_miss=finite(r.get("p_miss")),
            status=text(r.get("status")),
            projected=finite(r.get("projected")),
            projected_lo=finite(r.get("projected_lo")),
            projected_hi=finite(r.get("projected_hi")),
            required_rate=finite(r.get("required_rate")),
            current_rate=finite(r.get("current_rate")),
            reason_en=text(r.get("reason_en")),
            reason_zh=text(r.get("reason_zh")),
            model_version=model.label,
        )
        for r in assessed.to_dict("records")
    ]
    return TargetRiskResponse(model_version=model.label, assessments=rows)
