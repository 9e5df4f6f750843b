"""The champion models the service has loaded."""

from __future__ import annotations

from fastapi import APIRouter

from api.auth import AnyRole
from api.deps import CAPABILITIES, ModelsDep
from api.schemas.common import finite
from api.schemas.models import ModelPublic, ModelsPublic

router = APIRouter(prefix="/v1/models", tags=["models"])


def _metric(value):
    if isinstance(value, str):
        return value
    return finite(value)


@router.get("", response_model=ModelsPublic, summary="Loaded champion models")
def list_models(_: AnyRole, models: ModelsDep) -> ModelsPublic:
    data = [
        ModelPublic(
            capability=capability,
            name=m.name,
            version=str(m.version),
            run_id=str(m.run_id),
            model_version=m.label,
            metrics={str(k): _metric(v) for k, v in (m.metrics or {}).items()},
        )
        for capability in CAPABILITIES
        if (m := models.get(capability)) is not None
    ]
    return ModelsPublic(data=data, count=len(data))
