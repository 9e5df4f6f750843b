"""Load the seeded sample city into the service database, for demos.

:func:`load_sample_city` stores the sample city's yearly targets and its monthly
observations up to a cut-off (``months`` into the last target year), as if the service had
been running until then: the observations are scored for anomalies, the targets are
assessed, and alerts are raised as the ingest would have raised them (for targets still
open at the cut-off), and, when the forecast model is loaded, every daily demand series
is forecast 28 days ahead from its full history (:func:`forecast_sample_city`, also
``POST /v1/admin/sample-city/forecasts``; read back with ``GET /v1/forecasts``). A demo then posts
the next month (:func:`observations_of`, ``GET /v1/admin/sample-city/observations``) to
``POST /v1/observations`` and watches ``target_risk`` alerts appear. Loading is idempotent
and never deletes: loading again with the same ``months`` changes nothing, with more
months it ingests the extra months like the ingest endpoint would.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.auth import SCORING_CORE, Principal
from api.db import Alert, Target
from api.schemas.anomalies import ObservationIn
from api.schemas.feedback import MessageIn
from api.schemas.common import py_datetime
from api.schemas.targets import TargetUpsert
from api.services import feedback_surges as surge_service
from api.services import forecasts as forecast_service
from api.services.feedback import classify_and_store
from api.services import observations as obs_service
from api.services import targets as target_service
from api.services.early_warning import run_early_warning
from govperf_ml.evaluation.metrics import mase_scale
from govperf_ml.forecasting.hierarchy import season_of
from govperf_ml.vocabulary import split_series_id

logger = logging.getLogger("govperf.api")

LOADER = Principal(role=SCORING_CORE, key_id="sample-city")


@lru_cache(maxsize=2)
def sample_city(seed: int = 0, n_districts: int = 12):
    """The sample city (generated once per process and arguments; it takes a few seconds)."""
    from govperf_ml.sample_city import make_sample_city

    return make_sample_city(seed=seed, n_districts=n_districts)


def cut_off(city, months: int) -> pd.Timestamp:
    """The last period loaded: month ``months`` of the year of the latest target deadline."""
    if not 1 <= int(months) <= 12:
        raise ValueError(f"months must be between 1 and 12, got {months}")
    year = int(pd.to_datetime(city.targets["deadline"]).max().year)
    return pd.Timestamp(year=year, month=int(months), day=1)


def _observations(city, frame: pd.DataFrame) -> list[ObservationIn]:
    direction = dict(zip(city.indicators["unique_id"], city.indicators["direction"], strict=True))
    out = []
    for uid, ds, y in zip(frame["unique_id"], frame["ds"], frame["y"], strict=True):
        org_unit, indicator = split_series_id(uid)
        out.append(
            ObservationIn(
                org_unit=org_unit,
                indicator=indicator,
                ds=py_datetime(ds),
                value=None if y is None or math.isnan(y) else float(y),
                direction=direction.get(uid),
                # the sample city's units submit on the 10th of the following month
                submitted_at=py_datetime((pd.Timestamp(ds).to_period("M") + 1).start_time + pd.Timedelta(days=9)),
            )
        )
    return out


def observations_of(city, ds) -> list[ObservationIn]:
    """The sample city's observations of one period (a month start), for the ingest."""
    when = pd.Timestamp(ds).to_period("M").start_time
    return _observations(city, city.series[city.series["ds"] == when])


def _targets(city, through: pd.Timestamp) -> list[TargetUpsert]:
    tg = city.targets[pd.to_datetime(city.targets["start"]) <= through]
    return [
        TargetUpsert(
            target_id=str(t["target_id"]),
            unique_id=str(t["unique_id"]),
            target=float(t["target"]),
            start=pd.Timestamp(t["start"]).date(),
            deadline=pd.Timestamp(t["deadline"]).date(),
            direction=t["direction"],
            aggregation=t["aggregation"],
        )
        for t in tg.to_dict("records")
    ]


# ---------------------------------------------------------------------------------------
# Demand forecasts
# ---------------------------------------------------------------------------------------
RECONCILIATION = "ols"


@dataclass
class SampleForecasts:
    model_version: str
    cutoff: datetime
    h: int
    stored: forecast_service.StoreResult
    reconciliation: str | None  # None: stored unreconciled


def reconciler():
    """``govperf_ml.forecasting.reconcile.reconcile``, or None where the library lacks it."""
    try:
        from govperf_ml.forecasting.reconcile import reconcile
    except ImportError as err:
        logger.warning("forecast reconciliation is not available (%s): storing unreconciled forecasts", err)
        return None
    return reconcile


def demand_hierarchy(city) -> pd.DataFrame:
    """(unique_id, parent) of the demand series: districts under their city total; the
    city totals (an empty parent in the sample city) have none."""
    meta = city.demand_meta
    parent = meta["parent"].where(meta["parent"].notna() & (meta["parent"].astype(str) != ""), None)
    return pd.DataFrame({"unique_id": meta["unique_id"].astype(str), "parent": parent.astype(object)})


def forecast_sample_city(
    session: Session, model, *, h: int = 28, seed: int = 0, n_districts: int = 12
) -> SampleForecasts:
    """Forecast every sample-city demand series ``h`` days from its full history with
    ``model`` (the forecast champion), make the districts add up to their city totals
    (OLS reconciliation, where the library has it) and store the forecasts, in the
    caller's transaction. Idempotent: the same model version and cutoff store nothing new.
    """
    if not 1 <= int(h) <= 366:
        raise ValueError(f"h must be between 1 and 366, got {h}")
    city = sample_city(seed, n_districts)
    history = city.demand[["unique_id", "ds", "y"]]
    freqs = city.demand_meta["frequency"].dropna().unique() if "frequency" in city.demand_meta else []
    freq = str(freqs[0]) if len(freqs) == 1 else None
    estimator = model.estimator
    frame = estimator.forecast(history, h=int(h), level=forecast_service.LEVELS, freq=freq)
    alias = forecast_service.forecast_alias(estimator, frame)
    method = None
    reconcile = reconciler()
    if reconcile is not None:
        frame = reconcile(frame, demand_hierarchy(city), method=RECONCILIATION)
        method = RECONCILIATION
    cutoffs = history.groupby("unique_id")["ds"].max()
    stored = forecast_service.store(
        session, frame, alias=alias, cutoffs=cutoffs.to_dict(), model_version=model.label,
        scales=mase_scale(history, season_of(history, freq)).to_dict(),
    )
    logger.info(
        "sample-city forecasts by %s: %d series, %d rows stored, %d already there (reconciliation: %s)",
        model.label,
        stored.series,
        stored.inserted,
        stored.existing,
        method or "none",
    )
    return SampleForecasts(
        model_version=model.label,
        cutoff=py_datetime(cutoffs.max()),
        h=int(h),
        stored=stored,
        reconciliation=method,
    )


def load_feedback(
    session: Session, model, city, through: pd.Timestamp, *, principal: Principal, raise_alerts: bool,
    review_threshold: float,
) -> tuple[int, list[Alert]]:
    """Classify and store the city's message stream through the month of ``through`` (as
    ``POST /v1/feedback/classify`` would) and raise the complaint surges it holds.
    Returns (messages stored, new ``feedback_surge`` alerts)."""
    stream = city.feedback_stream
    stream = stream[stream["received_at"] < through + pd.DateOffset(months=1)]
    messages = [
        MessageIn(message_id=m.message_id, text=m.text, channel=m.channel, received_at=py_datetime(m.received_at),
                  org_unit=m.org_unit)
        for m in stream.itertuples(index=False)
    ]
    stored = classify_and_store(session, model, messages, review_threshold=review_threshold) if messages else []
    surges = surge_service.raise_surges(session, principal=principal) if raise_alerts and stored else []
    return len(stored), surges


@dataclass
class SampleCityLoad:
    through: datetime
    next_period: datetime | None
    observations: obs_service.UpsertResult
    targets: target_service.UpsertResult
    assessed: int = 0
    alerts: list[Alert] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # capabilities not loaded
    forecasts: SampleForecasts | None = None
    feedback_messages: int = 0  # stream messages classified and stored

    def status_counts(self, session: Session) -> dict[str, int]:
        """Stored targets by latest status (all of them, not only the sample city's)."""
        rows = session.execute(select(Target.risk_status, func.count()).group_by(Target.risk_status)).all()
        return {(status or "unassessed"): n for status, n in rows}

    @staticmethod
    def alert_cursor(session: Session) -> int | None:
        """The largest alert ``seq`` now: poll ``after_seq`` from here to see only later alerts."""
        return session.execute(select(func.max(Alert.seq))).scalar_one()


def load_sample_city(
    session: Session,
    models: dict,
    *,
    months: int = 6,
    seed: int = 0,
    n_districts: int = 12,
    principal: Principal = LOADER,
    raise_alerts: bool = True,
    review_threshold: float = 0.6,
) -> SampleCityLoad:
    """Store the sample city's targets and its observations up to month ``months`` of the
    last target year, in the caller's transaction.

    Parameters
    ----------
    models
        capability -> loaded model (``app.state.models``). Without ``anomaly`` the history
        is stored unscored; without ``targets`` the targets are stored unassessed; without
        ``forecast`` no demand forecasts are stored.
    months
        1..12: observations are loaded up to that month of the year of the latest target
        deadline (the sample city's last year), e.g. 6 -> through June.
    seed, n_districts
        Passed to ``govperf_ml.sample_city.make_sample_city`` (the demo uses the defaults).
    raise_alerts
        Raise the alerts the service would have raised along the way (anomalies in the
        history, open targets already red; targets whose deadline passed before the
        cut-off get their final status but no alert); False loads a quiet baseline.
    review_threshold
        Stream messages tagged less confidently go to the review queue (the service's
        ``GOVPERF_REVIEW_THRESHOLD``).

    With the feedback model loaded, the city's message stream through the cut-off is
    classified and stored (:func:`load_feedback`) and complaint surges are alerted.
    """
    city = sample_city(seed, n_districts)
    through = cut_off(city, months)
    after = through + pd.DateOffset(months=1)
    stored_targets = target_service.upsert(session, _targets(city, through))
    done = run_early_warning(
        session, _observations(city, city.series[city.series["ds"] <= through]), models=models,
        principal=principal, raise_alerts=raise_alerts, also_assess=stored_targets.changed,
        quiet_before=through.date(),
    )
    result = SampleCityLoad(
        through=py_datetime(through),
        next_period=py_datetime(after) if after <= city.series["ds"].max() else None,
        observations=done.observations,
        targets=stored_targets,
        assessed=done.reassessed,
        alerts=done.alerts,
        skipped=[c for c in ("anomaly", "targets") if c not in models],
    )
    if models.get("feedback") is None:
        result.skipped.append("feedback")
    else:
        result.feedback_messages, surges = load_feedback(
            session, models["feedback"], city, through, principal=principal, raise_alerts=raise_alerts,
            review_threshold=review_threshold)
        result.alerts += surges
    forecaster = models.get("forecast")
    if forecaster is None:
        result.skipped.append("forecast")
    else:
        result.forecasts = forecast_sample_city(session, forecaster, h=28, seed=seed, n_districts=n_districts)
    if result.skipped:
        logger.warning("sample city loaded without the %s model(s)", ", ".join(result.skipped))
    return result
