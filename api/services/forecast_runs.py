"""Forecast runs: a user's series, with their hierarchy, forecast, reconciled and stored.

One run is one request: the hierarchy is checked and every node's history formed by the
library (:mod:`govperf_ml.forecasting.hierarchy`), every node forecast by the champion,
reconciled (MinT-shrink by default) and stored with the run's id, in the caller's
transaction. A repeat with the same ``Idempotency-Key`` by the same API key returns the
run it made the first time; the same key with another request is a 422.
"""

from __future__ import annotations

import hashlib

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth import Principal
from api.db import ForecastRun
from api.schemas.common import py_datetime, series_frame
from api.schemas.forecasts import ForecastRunPublic, ForecastRunRequest, HierarchySpec
from api.services import forecasts as stored
from govperf_ml.contracts import DataContractError, short
from govperf_ml.evaluation.metrics import mase_scale
from govperf_ml.forecasting.hierarchy import (
    Hierarchy,
    aggregate,
    forecast_hierarchy,
    from_keys,
    from_parents,
    season_of,
)


def hierarchy_of(spec: HierarchySpec | None) -> Hierarchy | None:
    """The library's checked hierarchy from the posted spec (None: no hierarchy)."""
    if spec is None:
        return None
    if spec.parents is not None:
        links = pd.DataFrame([(p.unique_id, p.parent) for p in spec.parents], columns=["unique_id", "parent"])
        return from_parents(links)
    frame = pd.DataFrame([{"unique_id": s.unique_id, **s.keys} for s in spec.keys or ()])
    if frame.empty:
        raise DataContractError("hierarchy: keys lists no series", field="hierarchy")
    return from_keys(frame, list(spec.key_columns or ()))


def find(session: Session, principal: Principal, idempotency_key: str | None) -> ForecastRun | None:
    if not idempotency_key:
        return None
    return session.scalar(
        select(ForecastRun).where(
            ForecastRun.created_by_key == principal.key_id, ForecastRun.idempotency_key == idempotency_key
        )
    )


def create_run(
    session: Session, body: ForecastRunRequest, model, principal: Principal, idempotency_key: str | None = None
) -> tuple[ForecastRun, bool]:
    """Forecast, reconcile and store; returns the run and whether it is new."""
    digest = hashlib.sha256(body.model_dump_json().encode()).hexdigest()
    found = find(session, principal, idempotency_key)
    if found is not None:
        if found.request_hash != digest:
            raise DataContractError(
                f"Idempotency-Key: {idempotency_key!r} was used by this API key for another request "
                f"(run {found.id}); use a new key", field="Idempotency-Key", ids=[found.id])
        return found, False
    with_x = sorted({p.unique_id for p in body.series if p.x})
    if with_x:
        raise DataContractError(f"x: forecast runs take no exogenous values; got some for {short(with_x)}",
                                field="x", ids=with_x)
    history = series_frame(body.series)
    hierarchy = hierarchy_of(body.hierarchy)
    method = body.reconciliation if hierarchy is not None else "none"
    frame = forecast_hierarchy(model.estimator, history, hierarchy, h=body.h, level=stored.LEVELS,
                               freq=body.freq, method=method, season_length=season_of(history, body.freq))
    alias = stored.forecast_alias(model.estimator, frame.drop(columns="level"))
    last = history.dropna(subset=["y"]).groupby("unique_id")["ds"].max()
    cutoff = last.max()
    run = ForecastRun(
        model_version=model.label, cutoff=py_datetime(cutoff), h=body.h, reconciliation=method,
        hierarchy=body.hierarchy.model_dump(exclude_none=True) if body.hierarchy is not None else None,
        status="completed", series=int(frame["unique_id"].nunique()),
        bottom=len(hierarchy.bottom) if hierarchy is not None else int(last.size),
        created_by_role=principal.role, created_by_key=principal.key_id, idempotency_key=idempotency_key,
        request_hash=digest,
    )
    session.add(run)
    session.flush()
    cutoffs = {uid: last.get(uid, cutoff) for uid in frame["unique_id"].unique()}
    every_node = aggregate(history, hierarchy) if hierarchy is not None else history
    scales = mase_scale(every_node, season_of(history, body.freq)).to_dict()
    stored.store(session, frame, alias=alias, cutoffs=cutoffs, model_version=model.label, run_id=run.id,
                 scales=scales)
    return run, True


def public(run: ForecastRun) -> ForecastRunPublic:
    return ForecastRunPublic.model_validate(
        {c: getattr(run, c) for c in ForecastRunPublic.model_fields if c != "forecasts"}
        | {"forecasts": f"/v1/forecasts?run_id={run.id}"}
    )
