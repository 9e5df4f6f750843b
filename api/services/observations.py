"""Idempotent upsert of indicator observations and the re-scoring that follows."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pandas as pd
from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from api.db import Observation
from api.schemas.anomalies import ObservationIn
from api.schemas.common import period
from govperf_ml.contracts import DataContractError, short

SEPARATOR = "|"  # as in govperf_ml.sample_city: "<org_unit>|<indicator>"


def series_id(org_unit: str, indicator: str) -> str:
    """The series id of an (org_unit, indicator) pair, as used in alerts and models."""
    return f"{org_unit}{SEPARATOR}{indicator}"


@dataclass(frozen=True)
class IngestIssue:
    """A data-quality fact found while upserting: a revised past value or a late one."""

    unique_id: str
    org_unit: str
    indicator: str
    ds: datetime
    check: str  # "revised_history" or "late_submission"
    observed: float | None
    previous: float | None = None
    days_late: int | None = None


def period_end(ds: datetime) -> datetime:
    """When the period labelled ``ds`` ends: a month label (the 1st) ends with its month,
    any other label with its day."""
    if ds.day == 1 and ds.hour == 0 and ds.minute == 0:
        return datetime(ds.year + ds.month // 12, ds.month % 12 + 1, 1)
    return datetime(ds.year, ds.month, ds.day) + timedelta(days=1)


@dataclass
class UpsertResult:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    changed_series: set[str] = field(default_factory=set)
    first_changed: dict[str, datetime] = field(default_factory=dict)
    """The earliest new or changed period of each changed series."""
    issues: list[IngestIssue] = field(default_factory=list)
    """Revised history and late submissions found in the batch."""

    def mark_changed(self, unique_id: str, ds: datetime) -> None:
        self.changed_series.add(unique_id)
        if unique_id not in self.first_changed or ds < self.first_changed[unique_id]:
            self.first_changed[unique_id] = ds


def _same(a: float | None, b: float | None) -> bool:
    a_missing = a is None or math.isnan(a)
    b_missing = b is None or math.isnan(b)
    if a_missing or b_missing:
        return a_missing and b_missing
    return a == b


def upsert(
    session: Session,
    batch: list[ObservationIn],
    *,
    received_at: datetime | None = None,
    late_after_days: int | None = None,
) -> UpsertResult:
    """Insert new (org_unit, indicator, ds) values and update changed ones.

    Re-sending the same batch changes nothing. A key twice in one batch is an error.
    ``result.issues`` lists a stored value that changed (revised history) and, when
    ``late_after_days`` is given, a value of a series with stored history that arrived
    (``received_at``, default now) more than that many days after its period ended.
    """
    received = (received_at or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None)
    rows: dict[tuple[str, datetime], ObservationIn] = {}
    dupes: list[str] = []
    for obs in batch:
        key = (series_id(obs.org_unit, obs.indicator), period(obs.ds))
        if key in rows:
            dupes.append(f"{key[0]}@{key[1]:%Y-%m-%d %H:%M}")
        rows[key] = obs
    if dupes:
        raise DataContractError(
            f"observations: the same (org_unit, indicator, ds) is sent twice: {short(dupes)}",
            field="observations",
            ids=dupes,
        )
    existing: dict[tuple[str, datetime], Observation] = {}
    keys = list(rows)
    for i in range(0, len(keys), 400):
        chunk = keys[i : i + 400]
        found = session.execute(
            select(Observation).where(tuple_(Observation.unique_id, Observation.ds).in_(chunk))
        ).scalars()
        existing.update(((o.unique_id, o.ds), o) for o in found)

    known: set[str] = set()
    if late_after_days is not None:
        ids = sorted({uid for uid, _ in rows})
        for i in range(0, len(ids), 500):
            known.update(
                session.execute(
                    select(Observation.unique_id).where(Observation.unique_id.in_(ids[i : i + 500])).distinct()
                ).scalars()
            )

    result = UpsertResult()

    def check_late(unique_id: str, ds: datetime, obs: ObservationIn) -> None:
        if late_after_days is None or unique_id not in known or obs.value is None:
            return
        when = obs.submitted_at.astimezone(UTC).replace(tzinfo=None) if obs.submitted_at and obs.submitted_at.tzinfo \
            else (obs.submitted_at or received)
        days = (when - period_end(ds)).days
        if days > late_after_days:
            result.issues.append(
                IngestIssue(unique_id, obs.org_unit, obs.indicator, ds, "late_submission", obs.value, days_late=days)
            )

    for (unique_id, ds), obs in rows.items():
        current = existing.get((unique_id, ds))
        if current is None:
            check_late(unique_id, ds, obs)
            session.add(
                Observation(
                    org_unit=obs.org_unit,
                    indicator=obs.indicator,
                    unique_id=unique_id,
                    ds=ds,
                    value=obs.value,
                    direction=obs.direction,
                )
            )
            result.inserted += 1
            result.mark_changed(unique_id, ds)
            continue
        direction_changed = obs.direction is not None and obs.direction != current.direction
        if _same(current.value, obs.value) and not direction_changed:
            result.unchanged += 1
            continue
        if not _same(current.value, obs.value):
            if current.value is None or math.isnan(current.value):
                check_late(unique_id, ds, obs)  # a missing value filled in
            else:
                result.issues.append(
                    IngestIssue(unique_id, current.org_unit, current.indicator, ds, "revised_history", obs.value,
                                previous=current.value)
                )
        current.value = obs.value
        if obs.direction is not None:
            current.direction = obs.direction
        result.updated += 1
        result.mark_changed(unique_id, ds)
    session.flush()
    return result


def history(session: Session, unique_ids: set[str]) -> tuple[pd.DataFrame, dict[str, str], dict[str, tuple[str, str]]]:
    """The stored history of ``unique_ids``: the long frame, directions and metadata."""
    ids = sorted(unique_ids)
    records = []
    for i in range(0, len(ids), 500):
        records.extend(
            session.execute(
                select(
                    Observation.unique_id,
                    Observation.ds,
                    Observation.value,
                    Observation.direction,
                    Observation.org_unit,
                    Observation.indicator,
                )
                .where(Observation.unique_id.in_(ids[i : i + 500]))
                .order_by(Observation.unique_id, Observation.ds)
            ).all()
        )
    frame = pd.DataFrame(
        {
            "unique_id": [r.unique_id for r in records],
            "ds": pd.to_datetime([r.ds for r in records]),
            "y": [r.value if r.value is not None else math.nan for r in records],
        }
    )
    directions: dict[str, str] = {}
    meta: dict[str, tuple[str, str]] = {}
    for r in records:  # ordered by ds: the latest stated direction wins
        if r.direction:
            directions[r.unique_id] = r.direction
        meta[r.unique_id] = (r.org_unit, r.indicator)
    return frame, directions, meta
