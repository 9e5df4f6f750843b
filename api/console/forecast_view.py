"""What the forecast explorer shows, read from the stored forecasts.

A *store* is where a forecast came from: the sample city's demand forecasts (stored
without a run by ``POST /v1/admin/sample-city/forecasts``) or one forecast run
(``POST /v1/forecast-runs``). Each series shows its latest stored forecast. The history
drawn before the fan is the series' stored observations, else (sample-city store only)
the sample city's own demand series, used only when it ends at the forecast's cutoff.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass, field
from threading import Lock

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db import Forecast, ForecastRun, Observation
from api.services import forecasts as stored
from api.services import sample

HISTORY_DAYS = 84  # the history drawn before the fan (twelve weeks of daily demand)
MULTIPLES_MAX = 16
COLUMNS = ("ds", "mean", "lo_80", "hi_80", "lo_95", "hi_95")
METRICS = ("mase", "smape", "coverage80", "coverage95")
TOTAL_UNIT = "CITY"  # the sample city's totals: CITY|<channel>


@dataclass(frozen=True)
class Choice:
    unique_id: str
    run_id: int | None

    @property
    def query(self) -> dict[str, str]:
        return {"series": self.unique_id, **({"run": str(self.run_id)} if self.run_id else {})}


def choices(session: Session) -> list[Choice]:
    """Every stored series: the sample city's first (city totals first), then runs, newest first."""
    rows = session.execute(select(Forecast.unique_id, Forecast.run_id).distinct()).all()
    found = [Choice(uid, run) for uid, run in rows]
    return sorted(found, key=lambda c: (c.run_id is not None, -(c.run_id or 0),
                                        not c.unique_id.startswith(TOTAL_UNIT + "|"), c.unique_id))


def frame_of(session: Session, run_id: int | None, **filters) -> pd.DataFrame:
    """The latest stored forecast rows (``unique_id, org_unit, channel, ds, mean ... hi_95,
    model_version, cutoff, created_at``) of the store's series matching ``filters``."""
    stmt = stored.forecasts_query(run_id=run_id, **filters).order_by(Forecast.unique_id, Forecast.ds)
    rows = session.execute(stmt).scalars().all()
    cols = ["unique_id", "org_unit", "channel", *COLUMNS, "model_version", "cutoff", "created_at"]
    return pd.DataFrame([[getattr(r, c) for c in cols] for r in rows], columns=cols)


def history(session: Session, unique_id: str, run_id: int | None, cutoff, days: int = HISTORY_DAYS) -> tuple[pd.DataFrame, str | None]:
    """(ds, y) up to ``cutoff`` and where it came from: ``stored``, ``sample`` or None."""
    rows = session.execute(
        select(Observation.ds, Observation.value).where(Observation.unique_id == unique_id, Observation.ds <= cutoff)
        .order_by(Observation.ds.desc()).limit(days)
    ).all()
    if rows:
        return pd.DataFrame(rows[::-1], columns=["ds", "y"]), "stored"
    if run_id is None:
        demand = sample_demand().get(unique_id)
        if demand is not None and len(demand) and demand["ds"].max() == pd.Timestamp(cutoff):
            return demand.tail(days).reset_index(drop=True), "sample"
    return pd.DataFrame(columns=["ds", "y"]), None


def sample_demand() -> dict[str, pd.DataFrame]:
    """The sample city's demand series by id (generated once per process)."""
    city = sample.sample_city()
    return {str(uid): g[["ds", "y"]] for uid, g in city.demand.groupby("unique_id", sort=False)}


@dataclass
class Coherence:
    """How far the districts' forecasts are from adding up to the city total."""

    total: str
    members: int
    max_gap_pct: float


def coherence(members: pd.DataFrame, total: str) -> Coherence | None:
    """Max over days of |total - sum of the other series| / |total| in %, where ``total`` is there."""
    if total not in set(members["unique_id"]) or members["unique_id"].nunique() < 2:
        return None
    wide = members.pivot_table(index="ds", columns="unique_id", values="mean", aggfunc="first")
    parts = wide.drop(columns=total).sum(axis=1, min_count=1)
    gap = ((wide[total] - parts).abs() / wide[total].abs().where(wide[total] != 0)).max() * 100
    return Coherence(total=total, members=wide.shape[1] - 1, max_gap_pct=float(gap))


def accuracy(models: dict, model_version: str) -> dict[str, float] | None:
    """The backtest metrics of the served forecast champion, when it made these forecasts."""
    model = models.get("forecast")
    if model is None or model.label != model_version:
        return None
    out = {k: float(model.metrics[k]) for k in METRICS if k in model.metrics}
    return {k: v for k, v in out.items() if math.isfinite(v)}


@dataclass
class RunInfo:
    run_id: int | None
    reconciliation: str | None = None
    created_at: object = None
    hierarchy: dict | None = field(default=None)


def run_info(session: Session, run_id: int | None) -> RunInfo:
    run = session.get(ForecastRun, run_id) if run_id else None
    if run is None:
        return RunInfo(run_id=None)
    return RunInfo(run_id=run.id, reconciliation=run.reconciliation, created_at=run.created_at, hierarchy=run.hierarchy)


class Charts:
    """Rendered charts kept by key (a stored forecast does not change): drawing the fan and
    the small multiples costs ~0.6 s a page; a repeat view costs nothing. Bounded LRU."""

    def __init__(self, size: int = 64):
        self.size = size
        self._items: OrderedDict[tuple, str] = OrderedDict()
        self._lock = Lock()

    def get(self, key: tuple, draw) -> str:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        svg = draw()
        with self._lock:
            self._items[key] = svg
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return svg


def charts_of(app) -> Charts:
    if getattr(app.state, "forecast_charts", None) is None:
        app.state.forecast_charts = Charts()
    return app.state.forecast_charts
