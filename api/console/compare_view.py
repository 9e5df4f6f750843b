"""What the comparison page shows: the stored observations and targets, compared by
:func:`govperf_ml.comparison.compare_units`, laid out as the tables on screen.

Indicator dimensions and directions come from the sample city's indicator description
(:mod:`api.console.names`); an indicator it does not know keeps the direction its
observations were stored with, under the dimension ``other`` (without a direction it is
left out, and the page says so).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.db import Observation, Target
from govperf_ml.contracts import DIMENSIONS

OTHER = "other"
DIMENSION_ORDER = (*[d for d in DIMENSIONS if d != "demand"], OTHER)
METRICS = ("z", "target")
#: colour scale ends: z-scores at ±2.5, target gaps at ±10 % of the target
LIMITS = {"z": 2.5, "target": 10.0}


def periods(session: Session) -> list[pd.Timestamp]:
    """Every stored period, latest first."""
    found = session.execute(select(Observation.ds).distinct().order_by(Observation.ds.desc())).scalars()
    return [pd.Timestamp(d) for d in found]


def observations(session: Session, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    rows = session.execute(
        select(Observation.unique_id, Observation.org_unit, Observation.indicator, Observation.ds, Observation.value,
               Observation.direction).where(Observation.ds >= start, Observation.ds <= end)
    ).all()
    return pd.DataFrame(rows, columns=["unique_id", "org_unit", "indicator", "ds", "y", "direction"])


def indicator_meta(obs: pd.DataFrame, info) -> tuple[pd.DataFrame, list[str]]:
    """(indicator, dimension, direction) of every indicator observed, and those left out."""
    rows, left_out = [], []
    stored = obs.dropna(subset=["direction"]).groupby("indicator")["direction"].agg(lambda s: s.mode().iloc[0])
    for ind in sorted(obs["indicator"].unique()):
        known = info(ind)
        direction = known["direction"] if known else stored.get(ind)
        if direction not in ("higher", "lower"):
            left_out.append(ind)
            continue
        rows.append((ind, known["dimension"] if known else OTHER, direction))
    return pd.DataFrame(rows, columns=["indicator", "dimension", "direction"]), left_out


def targets(session: Session) -> pd.DataFrame:
    rows = session.execute(select(Target.unique_id, Target.target, Target.start, Target.deadline)).all()
    return pd.DataFrame(rows, columns=["unique_id", "target", "start", "deadline"])


def units(session: Session) -> int:
    return session.execute(select(func.count(func.distinct(Observation.org_unit)))).scalar_one()


@dataclass
class Heat:
    """A heat map as a table: row labels, column labels, values and their cell colours."""

    corner: str
    columns: list[str]
    rows: list[str]
    values: list[list[float | None]] = field(default_factory=list)
    colors: list[list[str]] = field(default_factory=list)  # a cell's CSS class
    notes: list[list[str]] = field(default_factory=list)  # a cell's title (rank, value, target)
