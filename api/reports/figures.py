"""The figures of one report as plain dataclasses (no database, no formatting), the
report period, and the errors a bad request gives."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

import pandas as pd

CITY = "CITY"  # the whole city: every org unit with observations
FORMATS = ("html", "pdf", "xlsx")
LANGS = ("zh", "en")


class ReportError(Exception):
    """A request the report cannot answer. ``field`` names the input at fault; ``status``
    is 404 (a well-formed value with no data: unknown period or org unit) or 422 (malformed)."""

    def __init__(self, field: str, message: str, status: int):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.status = status


def check_choice(field: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ReportError(field, f"must be one of {', '.join(allowed)}", 422)
    return value


YEARS = (1900, 2200)  # what pandas' timestamps hold, with room
_PERIOD = re.compile(r"^(\d{4})-(?:(0[1-9]|1[0-2])|Q([1-4]))$")


@dataclass(frozen=True)
class Period:
    """A month (``2025-06``) or a quarter (``2025-Q2``) of monthly observations."""

    label: str
    months: tuple[datetime, ...]  # the month starts it covers, in order

    @property
    def start(self) -> datetime:
        return self.months[0]

    @property
    def last(self) -> datetime:
        """The last month start in the period (the period's value of a monthly series)."""
        return self.months[-1]

    @property
    def end(self) -> datetime:
        """The first moment after the period."""
        return (pd.Timestamp(self.last) + pd.DateOffset(months=1)).to_pydatetime()

    @property
    def quarterly(self) -> bool:
        return len(self.months) == 3

    def following(self) -> Period:
        """The next period of the same length (what the outlook is about)."""
        step = len(self.months)
        first = pd.Timestamp(self.start) + pd.DateOffset(months=step)
        if step == 3:
            return parse_period(f"{first.year}-Q{(first.month - 1) // 3 + 1}")
        return parse_period(f"{first.year}-{first.month:02d}")


def parse_period(text: str) -> Period:
    """``YYYY-MM`` or ``YYYY-Qn``; anything else is a 422 naming ``period``."""
    found = _PERIOD.match((text or "").strip())
    if not found:
        raise ReportError("period", f"{text!r} is not a month (YYYY-MM) or a quarter (YYYY-Qn)", 422)
    year, month, quarter = found.groups()
    if not YEARS[0] <= int(year) <= YEARS[1]:
        raise ReportError("period", f"the year must be between {YEARS[0]} and {YEARS[1]}", 422)
    first = int(month) if month else 3 * (int(quarter) - 1) + 1
    count = 1 if month else 3
    starts = tuple(datetime(int(year), first + i, 1) for i in range(count))
    return Period(label=found.group(0), months=starts)



@dataclass(frozen=True)
class ScoreRow:
    """One indicator of one unit: the period's value and the stored target assessment."""

    org_unit: str
    indicator: str
    direction: str | None
    value: float | None
    previous: float | None  # the month before (环比)
    year_ago: float | None  # the same month a year before (同比)
    target: float | None = None
    deadline: date | None = None
    aggregation: str | None = None
    status: str | None = None  # green / amber / red; None: no target or not assessed
    p_miss: float | None = None
    current: float | None = None
    projected: float | None = None
    as_of: datetime | None = None
    reason_zh: str = ""
    reason_en: str = ""


@dataclass(frozen=True)
class Trend:
    org_unit: str  # CITY: the districts' median
    indicator: str
    periods: tuple[datetime, ...]
    values: tuple[float, ...]
    peers: dict[str, tuple[float, ...]]
    flagged: tuple[datetime, ...] = ()
    target: float | None = None
    deadline: date | None = None


@dataclass(frozen=True)
class AlertEventRow:
    at: datetime
    from_status: str | None
    to_status: str
    reason: str
    actor_role: str


@dataclass(frozen=True)
class AlertRow:
    alert_id: int
    org_unit: str
    indicator: str
    ds: datetime
    kind: str
    severity: str
    status: str
    observed: float | None
    expected: float | None
    reason_zh: str
    reason_en: str
    status_reason: str
    model_version: str
    events: tuple[AlertEventRow, ...]


@dataclass(frozen=True)
class ForecastSeries:
    unique_id: str
    channel: str
    model_version: str
    cutoff: datetime
    covers_next: bool  # False: no stored forecast covers the next period; the latest is shown
    ds: tuple[datetime, ...]
    mean: tuple[float, ...]
    lo_80: tuple[float | None, ...]
    hi_80: tuple[float | None, ...]
    lo_95: tuple[float | None, ...]
    hi_95: tuple[float | None, ...]

    @property
    def total(self) -> float:
        return float(sum(self.mean))

    @property
    def peak(self) -> tuple[datetime, float]:
        i = max(range(len(self.mean)), key=lambda k: (self.mean[k], -k))
        return self.ds[i], self.mean[i]


@dataclass(frozen=True)
class Issue:
    area: str
    dimension: str
    count: int
    examples: tuple[str, ...]  # masked texts only


@dataclass(frozen=True)
class Feedback:
    total: int
    cells: dict[tuple[str, str], int]  # (area, dimension) -> messages
    by_area: dict[str, int]
    issues: tuple[Issue, ...]


@dataclass(frozen=True)
class PeerRow:
    """A unit's place among peers on one indicator (district) or overall (city), from
    :func:`govperf_ml.comparison.compare_units`."""

    org_unit: str
    indicator: str  # "" for a unit's overall row
    value: float | None
    peer_median: float | None
    city_median: float | None
    rank: int  # 1 = best, direction-aware
    of: int
    better: bool | None  # better than the peers (None: level or unknown)
    z: float | None = None  # robust z against the peers (positive = better); the city: mean over indicators
    rank_change: float | None = None  # places moved up since the month before
    pct_of_target: float | None = None  # 完成率: value / target in %
    by_dimension: dict[str, float | None] = field(default_factory=dict)  # the city: mean z by service dimension


@dataclass
class ReportData:
    org_unit: str
    period: Period
    units: tuple[str, ...]  # the org units covered (one district, or every one for CITY)
    data_version: str  # fingerprint of the observations and targets the report read
    n_observations: int
    model_versions: tuple[str, ...]
    scorecard: list[ScoreRow] = field(default_factory=list)
    trends: list[Trend] = field(default_factory=list)
    alerts: list[AlertRow] = field(default_factory=list)
    forecast_period: Period | None = None
    forecasts: list[ForecastSeries] = field(default_factory=list)
    feedback: Feedback | None = None
    peers: list[PeerRow] = field(default_factory=list)

    @property
    def is_city(self) -> bool:
        return len(self.units) > 1
