"""Stateless anomaly scoring of series sent in the request."""

from __future__ import annotations

from fastapi import APIRouter

from api.capacity import LargeComputeTurn
from api.auth import AlertWriter
from api.db import ALERT_KINDS, SEVERITIES
from api.deps import AnomalyModel
from api.schemas.anomalies import AnomalyScoreRequest, AnomalyScoreResponse, ScoredPoint
from api.schemas.common import BAND, finite, finite_fields, py_datetime, series_frame, text
from api.schemas.targets import targets_frame

router = APIRouter(prefix="/v1/anomalies", tags=["anomalies"])


def scored_points(scored) -> list[ScoredPoint]:
    """The estimator's scored frame as response rows."""
    points = []
    for row in scored.to_dict("records"):
        flagged = bool(row.get("is_anomaly")) if row.get("is_anomaly") is not None else False
        kind = row.get("kind")
        severity = row.get("severity")
        points.append(
            ScoredPoint(
                unique_id=str(row["unique_id"]),
                ds=py_datetime(row["ds"]),
                y=finite(row.get("y")),
                **finite_fields(row, BAND),
                is_anomaly=flagged,
                kind=kind if flagged and kind in ALERT_KINDS else None,
                severity=severity if flagged and severity in SEVERITIES else None,
                reason_en=text(row.get("reason_en")),
                reason_zh=text(row.get("reason_zh")),
            )
        )
    return points


@router.post("/score", response_model=AnomalyScoreResponse, summary="Score series for anomalies",
              dependencies=[LargeComputeTurn])
def score(_: AlertWriter, body: AnomalyScoreRequest, model: AnomalyModel) -> AnomalyScoreResponse:
    extra = {}
    if body.targets:
        extra["targets"] = targets_frame(body.targets)
    scored = model.estimator.score(series_frame(body.series), directions=body.directions, **extra)
    points = scored_points(scored)
    return AnomalyScoreResponse(model_version=model.label, points=points, anomalies=sum(p.is_anomaly for p in points))
