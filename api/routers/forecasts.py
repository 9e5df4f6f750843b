"""Demand forecasts with prediction intervals: stateless, and stored ones read back."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from api.capacity import ComputeTurn
from api.auth import Planner
from api.deps import ForecastModel, PageDep, ServedModel, SessionDep, model_dep
from api.schemas.common import MAX_ID, Day, finite, py_datetime
from api.schemas.forecasts import (
    AccuracyFigures,
    AccuracyGroup,
    ForecastAccuracy,
    ForecastPoint,
    ForecastRequest,
    ForecastResponse,
    Interval,
    StoredForecasts,
)
from api.services import count
from api.services import forecast_accuracy as accuracy
from api.services import forecasts as service
from govperf_ml.forecasting.accuracy import summarise
from govperf_ml.contracts import DataContractError
from govperf_ml.forecasting.ensemble import exog_columns

router = APIRouter(prefix="/v1/forecasts", tags=["forecasts"])
ForecastModelIfLoaded = Annotated[ServedModel | None, Depends(model_dep("forecast", required=False))]
GROUPINGS = {"series": "unique_id", "level": "level", "model_version": "model_version", "run": "run_id"}


@router.post("", response_model=ForecastResponse, summary="Forecast h periods ahead", dependencies=[ComputeTurn])
def forecast(_: Planner, body: ForecastRequest, model: ForecastModel) -> ForecastResponse:
    estimator = model.estimator
    history, future = service.exog_frames(body, exog_columns(estimator))
    extra = {"X_df": future} if future is not None else {}
    try:
        frame = estimator.forecast(history, h=body.h, level=tuple(body.level), freq=body.freq, **extra)
    except DataContractError as err:
        if err.field == "X_df":  # the library's name for what the API calls `future`
            raise DataContractError(str(err).replace("X_df", "future"), field="future", ids=err.ids) from None
        raise
    alias = service.forecast_alias(estimator, frame)
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


@router.get(
    "",
    response_model=StoredForecasts,
    summary="Stored forecasts (the sample city's demand series), latest run by default",
    description=(
        "Forecasts stored by `POST /v1/admin/sample-city/forecasts` (and the sample-city loader), "
        "ordered by series and period. Series are named `<org_unit>|<channel>` (e.g. `D01|hotline`, "
        "`CITY|service_hall` for the city totals). By default only each series' latest run is listed "
        "(its latest cutoff; among model versions forecasting from it, the one stored last); "
        "`cutoff=all` lists every stored run. `run_id` lists one forecast run's forecasts "
        "(`POST /v1/forecast-runs`; without it, runs are not listed). Served from the database: works "
        "while the forecast model is not loaded."
    ),
)
def list_forecasts(
    _: Planner,
    session: SessionDep,
    page: PageDep,
    unique_id: Annotated[list[str] | None, Query(description="Series id; repeat for several")] = None,
    org_unit: Annotated[str | None, Query(description="e.g. `D01`, or `CITY` for the city totals")] = None,
    channel: Annotated[str | None, Query(description="e.g. `hotline`, `service_hall`")] = None,
    model_version: Annotated[str | None, Query(description="Only this model version's runs")] = None,
    ds_from: Annotated[Day | None, Query(alias="from", description="Periods on or after this day")] = None,
    ds_to: Annotated[Day | None, Query(alias="to", description="Periods on or before this day")] = None,
    cutoff: Annotated[
        Literal["latest", "all"], Query(description="`latest`: each series' latest run only; `all`: every run")
    ] = "latest",
    run_id: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="Only this forecast run's (`POST /v1/forecast-runs`)")
    ] = None,
) -> StoredForecasts:
    stmt = service.forecasts_query(
        unique_ids=unique_id,
        org_unit=org_unit,
        channel=channel,
        model_version=model_version,
        ds_from=ds_from,
        ds_to=ds_to,
        cutoff=cutoff,
        run_id=run_id,
    )
    total = count(session, stmt)
    rows = service.page(session, stmt, limit=page.limit, offset=page.offset)
    return StoredForecasts(data=[service.public(r) for r in rows], count=total)


def _figures(row) -> dict:
    return {"n": int(row["n"]), "mae": finite(row["mae"]), "mase": finite(row["mase"]),
            "coverage80": finite(row["coverage80"]), "coverage95": finite(row["coverage95"])}


@router.get(
    "/accuracy",
    response_model=ForecastAccuracy,
    summary="How stored forecasts did once their actuals arrived",
    description=(
        "Stored forecasts (the sample city's and forecast runs') whose period's value has since been ingested "
        "with `POST /v1/observations` (series id `<org_unit>|<indicator>` = the forecast's `<org_unit>|<channel>`), "
        "scored: MAE, MASE and 80/95 % interval coverage, overall and per series, hierarchy level, model version "
        "or run, next to the served model's backtest. When the served model's recent forecasts of a series fall "
        "clearly below its backtest (coverage, by an exact binomial test; or MASE above twice the backtest's), "
        "the ingest raises a `model_drift` alert."
    ),
)
def forecast_accuracy(
    _: Planner,
    session: SessionDep,
    model: ForecastModelIfLoaded,
    by: Annotated[Literal["series", "level", "model_version", "run"], Query(description="Group by")] = "series",
    unique_id: Annotated[list[str] | None, Query(description="Series id; repeat for several")] = None,
    org_unit: Annotated[str | None, Query(description="e.g. `D01`")] = None,
    channel: Annotated[str | None, Query(description="e.g. `hotline`")] = None,
    model_version: Annotated[str | None, Query(description="Only this model version's forecasts")] = None,
    run_id: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Only this forecast run's")] = None,
    level: Annotated[str | None, Query(max_length=200, description="Only this hierarchy level (forecast runs)")] = None,
    ds_from: Annotated[Day | None, Query(alias="from", description="Periods on or after this day")] = None,
    ds_to: Annotated[Day | None, Query(alias="to", description="Periods on or before this day")] = None,
) -> ForecastAccuracy:
    stmt = accuracy.accuracy_query(
        unique_ids=unique_id, org_unit=org_unit, channel=channel, model_version=model_version, run_id=run_id,
        level=level, ds_from=py_datetime(ds_from) if ds_from else None, ds_to=py_datetime(ds_to) if ds_to else None,
    )
    scored = accuracy.scored_frame(session, stmt)
    empty = {"n": 0, "mae": None, "mase": None, "coverage80": None, "coverage95": None}
    overall = _figures(summarise(scored).iloc[0]) if len(scored) else empty
    groups = []
    if len(scored):
        column = GROUPINGS[by]
        table = summarise(scored.assign(**{column: scored[column].astype("string").fillna("")}), [column])
        groups = [AccuracyGroup(key=str(r[column]), **_figures(r)) for _, r in table.iterrows()]
    metrics = (model.metrics or {}) if model is not None else {}
    backtest = None
    if model is not None:
        backtest = AccuracyFigures(n=0, mae=None, mase=finite(metrics.get("mase")),
                                   coverage80=finite(metrics.get("coverage80")),
                                   coverage95=finite(metrics.get("coverage95")))
    return ForecastAccuracy(model_version=model.label if model is not None else None, backtest=backtest,
                            overall=AccuracyFigures(**overall), by=by, groups=groups, count=len(groups))
