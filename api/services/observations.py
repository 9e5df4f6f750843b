"""Idempotent upsert of indicator observations, and reading their stored history.

Which stored changes are data-quality issues (revised history, late submission) is
decided in :mod:`govperf_ml.alerts.ingest_checks`; this module finds them while storing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pandas as pd
from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from api.db import Observation
from api.schemas.anomalies import ObservationIn
from api.schemas.common import naive_utc, period
from api.services import in_chunks
from govperf_ml.alerts.ingest_checks import LATE, REVISED, IngestIssue, days_late, is_missing, same_value
from govperf_ml.contracts import DataContractError, short
from govperf_ml.vocabulary import series_id


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
    changed_values: dict[tuple[str, datetime], float | None] = field(default_factory=dict)
    """The new or changed (series id, period) keys with their values."""

    def mark_changed(self, unique_id: str, ds: datetime, value: float | None = None) -> None:
        self.changed_values[(unique_id, ds)] = value
        self.changed_series.add(unique_id)
        if unique_id not in self.first_changed or ds < self.first_changed[unique_id]:
            self.first_changed[unique_id] = ds


def _keyed(batch: list[ObservationIn]) -> dict[tuple[str, datetime], ObservationIn]:
    """The batch by (series id, period); a key sent twice is a data-contract error."""
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
    return rows


def _stored(session: Session, keys: list[tuple[str, datetime]]) -> dict[tuple[str, datetime], Observation]:
    existing: dict[tuple[str, datetime], Observation] = {}
    for chunk in in_chunks(keys, 400):
        found = session.execute(
            select(Observation).where(tuple_(Observation.unique_id, Observation.ds).in_(chunk))
        ).scalars()
        existing.update(((o.unique_id, o.ds), o) for o in found)
    return existing


def _series_with_history(session: Session, unique_ids: set[str]) -> set[str]:
    known: set[str] = set()
    for chunk in in_chunks(sorted(unique_ids), 500):
        known.update(
            session.execute(select(Observation.unique_id).where(Observation.unique_id.in_(chunk)).distinct()).scalars()
        )
    return known


@dataclass
class _LateCheck:
    """Flags a value of a series with stored history that arrived more than
    ``late_after_days`` after its period ended (``None``: no check)."""

    late_after_days: int | None
    received: datetime
    known: set[str]

    def __call__(self, unique_id: str, ds: datetime, obs: ObservationIn) -> IngestIssue | None:
        if self.late_after_days is None or unique_id not in self.known or obs.value is None:
            return None
        when = naive_utc(obs.submitted_at) if obs.submitted_at is not None else self.received
        late = days_late(ds, when)
        if late <= self.late_after_days:
            return None
        return IngestIssue(unique_id, obs.org_unit, obs.indicator, ds, LATE, obs.value, days_late=late)


def _insert(session: Session, unique_id: str, ds: datetime, obs: ObservationIn) -> None:
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


def _update(current: Observation, obs: ObservationIn, late: _LateCheck, result: UpsertResult) -> bool:
    """Apply ``obs`` to a stored row; False when nothing changes."""
    direction_changed = obs.direction is not None and obs.direction != current.direction
    value_changed = not same_value(current.value, obs.value)
    if not value_changed and not direction_changed:
        return False
    if value_changed:
        if is_missing(current.value):  # a missing value filled in
            issue = late(current.unique_id, current.ds, obs)
        else:
            issue = IngestIssue(current.unique_id, current.org_unit, current.indicator, current.ds, REVISED,
                                obs.value, previous=current.value)
        if issue is not None:
            result.issues.append(issue)
    current.value = obs.value
    if obs.direction is not None:
        current.direction = obs.direction
    return True


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
    (its ``submitted_at``, else ``received_at``, default now) more than that many days
    after its period ended.
    """
    rows = _keyed(batch)
    existing = _stored(session, list(rows))
    known = _series_with_history(session, {uid for uid, _ in rows}) if late_after_days is not None else set()
    late = _LateCheck(late_after_days, naive_utc(received_at or datetime.now(UTC)), known)
    result = UpsertResult()
    for (unique_id, ds), obs in rows.items():
        current = existing.get((unique_id, ds))
        if current is None:
            issue = late(unique_id, ds, obs)
            if issue is not None:
                result.issues.append(issue)
            _insert(session, unique_id, ds, obs)
            result.inserted += 1
        elif _update(current, obs, late, result):
            result.updated += 1
        else:
            result.unchanged += 1
            continue
        result.mark_changed(unique_id, ds, obs.value)
    session.flush()
    return result


def history(session: Session, unique_ids: set[str]) -> tuple[pd.DataFrame, dict[str, str], dict[str, tuple[str, str]]]:
    """The stored history of ``unique_ids``: the long frame, directions and metadata."""
    ids = sorted(unique_ids)
    records = []
    for chunk in in_chunks(ids, 500):
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
                .where(Observation.unique_id.in_(chunk))
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
