"""The alert inbox's filters, counts and pages.

Filters arrive as a GET form (shareable URLs): an empty field means "any". A value the
service does not know (a kind outside the vocabulary, an org unit no alert has, a period
that is not a month) is refused with a page naming it, never silently ignored. The list
is newest period first, 50 a page, to page :data:`MAX_PAGE` at most (offset paging over
the ``(ds, id)`` index; a narrower filter reaches older alerts).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from api.console import inbox_format
from api.console.web import ConsoleError
from api.db import Alert
from govperf_ml.vocabulary import ALERT_KINDS, ALERT_STATUSES, SEVERITIES

PAGE_SIZE = 50
MAX_PAGE = 200
FIELD_LIMIT = 200  # the longest org unit or indicator name


@dataclass(frozen=True)
class InboxFilter:
    org_unit: str = ""
    indicator: str = ""
    dimension: str = ""
    kind: str = ""
    severity: str = ""
    status: str = ""
    since: str = ""  # YYYY-MM
    until: str = ""

    def query(self, **changes) -> str:
        """This filter (with ``changes``) as a query string, empty fields left out."""
        values = {**asdict(self), **changes}
        return urlencode({k: v for k, v in values.items() if v not in ("", None)})


def _month(name: str, value: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.strptime(value[:10], "%Y-%m-%d" if len(value) > 7 else "%Y-%m")
    except ValueError:
        raise ConsoleError(422, "alerts_err_period", name=name, value=value[:40]) from None


def _one_of(name: str, value: str, allowed) -> str:
    if value and value not in allowed:
        raise ConsoleError(422, "alerts_err_value", name=name, value=value[:80], allowed=", ".join(allowed))
    return value


def _stored(session: Session, name: str, column, value: str) -> str:
    """``value`` if some alert has it in ``column`` (an indexed lookup), else a 422 page."""
    if not value:
        return value
    if len(value) > FIELD_LIMIT or session.execute(select(column).where(column == value).limit(1)).first() is None:
        raise ConsoleError(422, "alerts_err_unknown", name=name, value=value[:80])
    return value


def parse_filter(session: Session, **given: str) -> InboxFilter:
    """The form's fields, checked: an unknown value is a 422 page that names it."""
    f = InboxFilter(**{k: (v or "").strip() for k, v in given.items()})
    _one_of("kind", f.kind, ALERT_KINDS)
    _one_of("severity", f.severity, SEVERITIES)
    _one_of("status", f.status, ALERT_STATUSES)
    _one_of("dimension", f.dimension, inbox_format.DIMENSIONS)
    _stored(session, "org_unit", Alert.org_unit, f.org_unit)
    _stored(session, "indicator", Alert.indicator, f.indicator)
    since, until = _month("since", f.since), _month("until", f.until)
    if since and until and since > until:
        raise ConsoleError(422, "alerts_err_range", since=f.since, until=f.until)
    return f


def _where(stmt: Select, f: InboxFilter, *, with_kind: bool = True) -> Select:
    for column, value in ((Alert.org_unit, f.org_unit), (Alert.indicator, f.indicator),
                          (Alert.severity, f.severity), (Alert.status, f.status)):
        if value:
            stmt = stmt.where(column == value)
    if with_kind and f.kind:
        stmt = stmt.where(Alert.kind == f.kind)
    if f.dimension:
        stmt = stmt.where(Alert.indicator.in_(inbox_format.indicators_of(f.dimension)))
    if f.since:
        stmt = stmt.where(Alert.ds >= _month("since", f.since))
    if f.until:
        stmt = stmt.where(Alert.ds < _after(f.until))
    return stmt


def _after(until: str) -> datetime:
    """The first moment after ``until``: the next month for ``YYYY-MM``, the next day for a date."""
    end = _month("until", until)
    if len(until) > 7:
        return end + timedelta(days=1)
    return end.replace(year=end.year + 1, month=1) if end.month == 12 else end.replace(month=end.month + 1)


def kind_counts(session: Session, f: InboxFilter) -> dict[str, int]:
    """Alerts of each kind under every filter but the kind (the kind tabs' numbers)."""
    stmt = _where(select(Alert.kind, func.count()), f, with_kind=False).group_by(Alert.kind)
    found = dict(session.execute(stmt).all())
    return {kind: int(found.get(kind, 0)) for kind in ALERT_KINDS}


def page_number(value: str) -> int:
    try:
        number = int(value or 1)
    except ValueError:
        raise ConsoleError(422, "alerts_err_page", value=str(value)[:20], last=MAX_PAGE) from None
    if not 1 <= number <= MAX_PAGE:
        raise ConsoleError(422, "alerts_err_page", value=str(number), last=MAX_PAGE)
    return number


def rows(session: Session, f: InboxFilter, page: int) -> list:
    """One page, newest period first (ties: newest alert first). The page's ids are found
    first (on the ``(ds, id)`` index alone when unfiltered), then only their rows are read:
    a deep page skips index entries, not rows."""
    ids = (_where(select(Alert.id), f).order_by(Alert.ds.desc(), Alert.id.desc())
           .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE))
    columns = (Alert.id, Alert.ds, Alert.org_unit, Alert.indicator, Alert.kind, Alert.severity, Alert.status,
               Alert.reason_en, Alert.reason_zh)
    stmt = select(*columns).where(Alert.id.in_(ids.scalar_subquery())).order_by(Alert.ds.desc(), Alert.id.desc())
    return list(session.execute(stmt).all())


def distinct_values(session: Session, column) -> list[str]:
    """The distinct values of an indexed column, one index seek each (a loose index scan:
    a plain DISTINCT reads every row; 100,000 alerts hold only hundreds of units)."""
    seek = select(func.min(column)).scalar_subquery()
    walk = select(seek.label("v")).cte("walk", recursive=True)
    following = select(func.min(column)).where(column > walk.c.v).scalar_subquery()
    walk = walk.union_all(select(following).where(walk.c.v.is_not(None)))
    return [v for v in session.execute(select(walk.c.v).where(walk.c.v.is_not(None))).scalars()]


def choices(session: Session) -> tuple[list[str], list[str]]:
    """The org units and indicators alerts have (the filter's drop-downs)."""
    return distinct_values(session, Alert.org_unit), distinct_values(session, Alert.indicator)
