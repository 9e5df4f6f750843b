"""The report's sections read from the store: the period's alerts with their events, the
stored demand forecasts for the next period, and the citizen feedback of the period."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from api.db import Alert, FeedbackMessage, Forecast
from api.reports.figures import AlertEventRow, AlertRow, Feedback, ForecastSeries, Issue, Period
from api.services.forecasts import forecasts_query

SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}
TOP_ISSUES = 5
EXAMPLES = 2
EXAMPLE_CHARS = 120
NO_DIMENSION = "-"


def alerts(session: Session, units: tuple[str, ...], period: Period) -> list[AlertRow]:
    """Every alert of the units on a period of the report, with its status history."""
    stmt = (
        select(Alert)
        .where(Alert.org_unit.in_(units), Alert.ds >= period.start, Alert.ds < period.end)
        .options(selectinload(Alert.events))
    )
    found = sorted(
        session.execute(stmt).scalars(),
        key=lambda a: (SEVERITY_ORDER.get(a.severity, 9), a.org_unit, a.indicator, a.ds, a.kind, a.id),
    )
    return [
        AlertRow(
            alert_id=a.id, org_unit=a.org_unit, indicator=a.indicator, ds=a.ds, kind=a.kind, severity=a.severity,
            status=a.status, observed=a.observed, expected=a.expected, reason_zh=a.reason_zh or "",
            reason_en=a.reason_en or "", status_reason=a.status_reason or "", model_version=a.model_version,
            events=tuple(
                AlertEventRow(at=e.created_at.replace(tzinfo=None), from_status=e.from_status, to_status=e.to_status,
                              reason=e.reason or "", actor_role=e.actor_role)
                for e in a.events
            ),
        )
        for a in found
    ]


def _series(rows: list[Forecast], covers_next: bool) -> list[ForecastSeries]:
    by_id: dict[str, list[Forecast]] = {}
    for row in rows:
        by_id.setdefault(row.unique_id, []).append(row)
    out = []
    for unique_id, points in sorted(by_id.items()):
        points.sort(key=lambda r: r.ds)
        first = points[0]
        out.append(ForecastSeries(
            unique_id=unique_id, channel=first.channel, model_version=first.model_version, cutoff=first.cutoff,
            covers_next=covers_next, ds=tuple(p.ds for p in points),
            mean=tuple(float(p.mean or 0.0) for p in points),
            lo_80=tuple(p.lo_80 for p in points), hi_80=tuple(p.hi_80 for p in points),
            lo_95=tuple(p.lo_95 for p in points), hi_95=tuple(p.hi_95 for p in points),
        ))
    return out


def forecasts(session: Session, org_unit: str, following: Period) -> list[ForecastSeries]:
    """The unit's stored demand forecasts (the latest run of each series, as ``GET
    /v1/forecasts`` lists them) over the next period; where none covers it, the latest
    stored run whole (marked ``covers_next=False``)."""
    stmt = forecasts_query(org_unit=org_unit, ds_from=following.start.date(), ds_to=None)
    rows = [r for r in session.execute(stmt).scalars() if r.ds < following.end]
    if rows:
        return _series(rows, covers_next=True)
    return _series(list(session.execute(forecasts_query(org_unit=org_unit)).scalars()), covers_next=False)


def feedback(session: Session, units: tuple[str, ...], period: Period, whole_city: bool) -> Feedback:
    """Messages received in the period by service area and dimension, with the top issues
    (masked texts only: the store holds no other)."""
    stmt = select(FeedbackMessage).where(
        FeedbackMessage.received_at >= period.start, FeedbackMessage.received_at < period.end
    )
    if not whole_city:
        stmt = stmt.where(FeedbackMessage.org_unit.in_(units))
    messages = sorted(session.execute(stmt).scalars(), key=lambda m: m.message_id)
    cells: Counter = Counter()
    by_area: Counter = Counter()
    texts: dict[tuple[str, str], list[tuple[float, str]]] = {}
    for m in messages:
        area = m.area or NO_DIMENSION
        by_area[area] += 1
        for dim in sorted(set(m.dimensions or [])) or [NO_DIMENSION]:
            cells[(area, dim)] += 1
            texts.setdefault((area, dim), []).append((-(m.area_confidence or 0.0), m.masked_text))
    ranked = sorted(cells.items(), key=lambda kv: (-kv[1], kv[0]))
    issues = tuple(
        Issue(area=area, dimension=dim, count=n,
              examples=tuple(_clip(text) for _, text in sorted(texts[(area, dim)])[:EXAMPLES]))
        for (area, dim), n in ranked[:TOP_ISSUES]
    )
    return Feedback(total=len(messages), cells=dict(cells), by_area=dict(by_area), issues=issues)


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EXAMPLE_CHARS else text[: EXAMPLE_CHARS - 1] + "…"
