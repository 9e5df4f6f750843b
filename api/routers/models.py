"""The champion models the service has loaded, and reloading them when the registry's
champion alias moved."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status

from api.auth import SCORING_CORE, AnyRole, Principal, require_roles
from api.deps import CAPABILITIES, ModelsDep, SessionDep, get_models
from api.schemas.common import finite
from api.schemas.models import (
    ModelLoadFailure, ModelPublic, ModelReloadResult, ModelsPublic, ModelSwap, TargetCalibration,
)
from api.services.forecast_accuracy import live_figures
from api.services.target_drift import live_by_status

router = APIRouter(prefix="/v1/models", tags=["models"])
admin_router = APIRouter(prefix="/v1/admin/models", tags=["admin"])

Admin = Annotated[Principal, Depends(require_roles(SCORING_CORE))]

def _metric(value):
    if isinstance(value, str):
        return value
    return finite(value)

def _live(session, model_version: str) -> dict:
    return {k: (v if k == "n" else _metric(v)) for k, v in live_figures(session, model_version).items()}


def _calibration(session, model) -> TargetCalibration | None:
    cal = getattr(model.estimator, "backtest_calibration_", None)
    if not cal:
        return None
    return TargetCalibration(**{**cal, "ece": finite(cal.get("ece"))},
                             live_by_status=live_by_status(session, model.label))


@router.get("", response_model=ModelsPublic, summary="Loaded champion models")
def list_models(_: AnyRole, models: ModelsDep, session: SessionDep) -> ModelsPublic:
    data = [
        ModelPublic(
            capability=capability,
            name=m.name,
            version=str(m.version),
            run_id=str(m.run_id),
            model_version=m.label,
            metrics={str(k): _metric(v) for k, v in (m.metrics or {}).items()},
            live=_live(session, m.label) if capability == "forecast" else None,
            calibration=_calibration(session, m) if capability == "targets" else None,
        )
        for capability in CAPABILITIES
        if (m := models.get(capability)) is not None
    ]
    return ModelsPublic(data=data, count=len(data))

@admin_router.post(
    "/reload",
    response_model=ModelReloadResult,
    summary="Load the champions whose registry alias moved, now",
    description=(
        "Asks the registry which version each champion alias points at and loads those that differ from the "
        "served ones (the service also checks every `GOVPERF_MODEL_RELOAD_INTERVAL_S`). Requests already "
        "running finish with the model they started with. A version that cannot be loaded is listed under "
        "`failed` and the old model is kept. 409 when the service was started with fixed models."
    ),
)
async def reload_models(_: Admin, request: Request) -> ModelReloadResult:
    reloader = getattr(request.app.state, "model_reloader", None)
    if reloader is None:
        raise HTTPException(status.HTTP_409_CONFLICT, "this service was started with fixed models: nothing to reload")
    report = await reloader.reload()
    served = get_models(request)
    return ModelReloadResult(
        swapped=[ModelSwap(**asdict(s)) for s in report.swapped],
        failed=[ModelLoadFailure(**asdict(f)) for f in report.failed],
        models={c: (served[c].label if c in served else None) for c in CAPABILITIES},
    )
