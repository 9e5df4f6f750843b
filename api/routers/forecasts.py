"""Demand forecasts with prediction intervals."""

from __future__ import annotations

from fastapi import APIRouter

from api.auth import Planner
from api.deps import ForecastModel
from api.schemas.common import finite, py_datetime, series_frame
from api.schemas.forecasts import ForecastPoint, ForecastRequest, ForecastResponse, Interval

router = APIRouter(prefix="/v1/forecasts", tags=["forecasts"])


@router.post("", response_model=ForecastResponse, summary="Forecast h periods ahead")
def forecast(_: Planner, body: ForecastRequest, model: ForecastModel) -> ForecastResponse:
    estimator = model.estimator
    frame = estimator.forecast(series_frame(body.series), h=body.h, level=tuple(body.level), freq=body.freq)
    alias = getattr(estimator, "alias", None) or next(
        c for c in frame.columns if c not in ("unique_id", "ds") and "-lo-" not in c and "-hi-" not in c
    )
    points = [
        ForecastPoint(
            unique_id=str(row["unique_id"]),
            ds=py_datetime(row["ds"]),
            mean=finite(row[alias]),
            intervals={
                str(level): Interval(
                    lo=finite(row.get(f"{alias}-lo-{level}")), hi=finite(row.get(f"{alias}-hi-{level}"))
                )
                for level in body.level
            },
        )
        for row in frame.to_dict("records")
    ]
    return ForecastResponse(model_version=model.label, forecasts=points)
