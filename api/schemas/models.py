"""The loaded champion models."""

from __future__ import annotations

from pydantic import Field

from api.schemas.common import Public


class ModelPublic(Public):
    capability: str
    name: str
    version: str
    run_id: str
    model_version: str = Field(description="name/version, as named in every model response")
    metrics: dict[str, float | str | None]


class ModelsPublic(Public):
    data: list[ModelPublic]
    count: int
