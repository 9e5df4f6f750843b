"""The loaded champion models."""

from __future__ import annotations

from pydantic import Field

from api.schemas.common import Public


class ReliabilityBin(Public):
    bin: int = Field(description="equal-width bin of p_miss: 0 is [0, 0.1), 9 is [0.9, 1]")
    p_mean: float = Field(description="mean predicted probability of missing in the bin")
    y_rate: float = Field(description="observed share of targets missed in the bin")
    count: int


class StatusMissRate(Public):
    n: int
    miss_rate: float | None = Field(description="observed share missed among the targets given this status")


class TargetCalibration(Public):
    n: int = Field(description="backtest assessments scored")
    ece: float | None = Field(description="expected calibration error (10 equal-width bins)")
    reliability: list[ReliabilityBin]
    by_status: dict[str, StatusMissRate] = Field(description="green / amber / red")
    live_by_status: dict[str, StatusMissRate] | None = Field(
        None, description="the same, observed since: stored targets decided since then, each taken at 25/50/75 % "
        "of its period as the backtest does (a colour drifting outside the backtest's range raises a "
        "`model_drift` alert)")


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
    calibration: TargetCalibration | None = Field(
        None, description="Target model only: its calibration on the training run's backtest (last year's targets "
        "assessed at 25/50/75 % of their period by a model fitted on the data before them); null when the model was "
        "trained without one")


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
