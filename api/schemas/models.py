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
    live: dict[str, float | int | None] | None = Field(
        None, description="Forecast model only: its stored forecasts scored against the actuals ingested since "
        "(n, mae, mase, coverage80, coverage95; `GET /v1/forecasts/accuracy` has the detail)")


class ModelsPublic(Public):
    data: list[ModelPublic]
    count: int


class ModelSwap(Public):
    capability: str
    name: str
    old_version: str | None = Field(description="the version served before (null: none was loaded)")
    new_version: str


class ModelLoadFailure(Public):
    capability: str
    version: str | None = Field(description="the champion version that could not be loaded (null: the registry "
                                            "could not be read)")
    error: str


class ModelReloadResult(Public):
    swapped: list[ModelSwap] = Field(description="champions whose alias had moved, now served")
    failed: list[ModelLoadFailure] = Field(description="champions that could not be loaded; the old model is kept")
    models: dict[str, str | None] = Field(description="capability -> the model version served now")
