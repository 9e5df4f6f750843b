"""Shared pieces of the request and response models."""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

import pandas as pd
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, WithJsonSchema

from govperf_ml.vocabulary import name_problem

Direction = Literal["higher", "lower"]
Id = Annotated[str, Field(min_length=1, max_length=401)]


def _clean_name(value: str) -> str:
    problem = name_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


#: the dates a request may carry: well inside what pandas and the databases hold
#: (pandas stops at 2262), with room for horizons past the latest deadline
DATE_MIN, DATE_MAX = date(1900, 1, 1), date(2199, 12, 31)


_NUMBER = re.compile(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*")


def _not_a_number(value: Any) -> Any:
    """Dates come as ISO 8601 strings; pydantic would read a number (also ``"0.5"`` in a
    query string) as seconds since 1970."""
    if isinstance(value, int | float) and not isinstance(value, bool) or (
        isinstance(value, str) and _NUMBER.fullmatch(value)
    ):
        raise ValueError("must be an ISO 8601 date or date-time string, not a number")
    return value


def _in_range(value: date) -> date:
    day = value.date() if isinstance(value, datetime) else value
    if not DATE_MIN <= day <= DATE_MAX:
        raise ValueError(f"must be between {DATE_MIN} and {DATE_MAX}")
    return value


_DATE_RANGE = f"Between {DATE_MIN} and {DATE_MAX}."
#: the range in the OpenAPI document too (JSON Schema has no date minimum): years 1900-2199
_YEARS = {"pattern": r"^(19[0-9]{2}|2[01][0-9]{2})-"}
#: a calendar day in the accepted range
Day = Annotated[
    date,
    BeforeValidator(_not_a_number),
    AfterValidator(_in_range),
    Field(description=_DATE_RANGE, json_schema_extra=_YEARS),
]
#: a date-time (or a date: midnight) in the accepted range
Moment = Annotated[
    datetime,
    BeforeValidator(_not_a_number),
    AfterValidator(_in_range),
    Field(description=_DATE_RANGE, json_schema_extra=_YEARS),
]



def _iso_utc(value: datetime) -> str:
    """RFC 3339 with the zone: stored times are naive UTC, periods are UTC midnights."""
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value.isoformat().replace("+00:00", "Z")


#: a date-time in a response: always with its zone (``Z``), as ``format: date-time`` promises
UtcDateTime = Annotated[
    datetime,
    PlainSerializer(_iso_utc, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}, mode="serialization"),
]


NAME_PATTERN = r"^[^|\x00-\x1f\x7f\u202a-\u202e\u2066-\u2069]+$"
#: an org unit or indicator name: no ``|`` (it joins the two into the series id), no
#: control or text-direction characters
Name = Annotated[
    str,
    Field(
        min_length=1,
        max_length=200,
        description="No `|`, control or text-direction characters",
        json_schema_extra={"pattern": NAME_PATTERN},
    ),
    AfterValidator(_clean_name),
]
#: the largest magnitude of a value (KPIs, demand, targets, regressors): far above any count
#: or amount a department reports, far below where sums and squares overflow to infinity
MAX_ABS_VALUE = 1e15


def _a_number(value: Any) -> Any:
    """A JSON number: pydantic would also take ``true`` as 1 and ``"1.5"`` as 1.5."""
    if isinstance(value, bool | str):
        raise ValueError("must be a number")
    return value


FiniteFloat = Annotated[
    float, Field(allow_inf_nan=False, ge=-MAX_ABS_VALUE, le=MAX_ABS_VALUE), BeforeValidator(_a_number)
]

MAX_POINTS = 200_000
#: the largest integer the databases store (64-bit signed): ids, cursors and offsets above
#: it are a 422, not an overflow deep in the driver
MAX_INT = 2**63 - 1
#: ids and cursors: what PostgreSQL's ``integer`` columns hold (larger ones are a 422, not a
#: driver error; SQLite would hold 64 bits, but one API serves both)
MAX_ID = 2**31 - 1


class Schema(BaseModel):
    """Base for request bodies: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class Public(BaseModel):
    """Base for responses (built from ORM rows or plain dicts)."""

    model_config = ConfigDict(from_attributes=True)


class SeriesPoint(Schema):
    """One value of one series (long format, like the library's frames)."""

    unique_id: Id
    ds: Moment = Field(description="The period (a date or date-time; a UTC offset is ignored)")
    y: FiniteFloat | None = Field(None, description="null marks a missing submission")


def naive_utc(value: datetime) -> datetime:
    """A naive timestamp: aware ones are converted to UTC first (as the library does)."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def period(value: date | datetime) -> datetime:
    """A period label (``ds``) as a naive timestamp.

    A UTC offset is dropped, not applied: ``2024-01-01T00:00+08:00`` is the January
    period, not 16:00 on 31 December.
    """
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    return datetime(value.year, value.month, value.day)


def series_frame(points: list[SeriesPoint]) -> pd.DataFrame:
    """The long frame (unique_id, ds, y) the library expects."""
    return pd.DataFrame(
        {
            "unique_id": [p.unique_id for p in points],
            "ds": pd.to_datetime([period(p.ds) for p in points]),
            "y": [p.y if p.y is not None else math.nan for p in points],
        }
    )


def finite_fields(row: dict, names: dict[str, str]) -> dict[str, float | None]:
    """``{field: finite(row[column])}`` for each ``field: column`` of ``names``."""
    return {field: finite(row.get(column)) for field, column in names.items()}


# a model's output columns -> the service's field names
BAND = {"expected": "expected", "lower": "lo", "upper": "hi", "score": "anomaly_score"}
RISK = {
    "p_miss": "p_miss",
    "projected": "projected",
    "projected_lo": "projected_lo",
    "projected_hi": "projected_hi",
    "required_rate": "required_rate",
    "current_rate": "current_rate",
}


def finite(value: Any) -> float | None:
    """A JSON-safe float: NaN, infinities and missing values become null."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


def py_datetime(value: Any) -> datetime:
    return pd.Timestamp(value).to_pydatetime()


def text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def float_dict(value: Any) -> dict[str, float | None]:
    if not isinstance(value, dict):
        return {}
    return {str(k): finite(v) for k, v in value.items()}


def str_list(value: Any) -> list[str]:
    if value is None or isinstance(value, (float, str)):
        return [value] if isinstance(value, str) and value else []
    return [str(v) for v in value]
