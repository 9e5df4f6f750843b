"""What the alert and target pages show beside the stored rows: indicator names and
dimensions, and numbers and periods written the way the viewer's language writes them.

Indicator names and dimensions come from the sample city's indicator table
(:data:`govperf_ml.sample_city.spec.SPEC`), the one indicator catalogue the project has;
an indicator outside it is shown by its id and has no dimension.
"""

from __future__ import annotations

import math
from datetime import date, datetime

from api.console.formats import day_text, month_text, percent
from api.console.names import indicator_info, indicator_name
from govperf_ml.sample_city.spec import SPEC

#: the evaluation dimensions of the catalogue, in its order
DIMENSIONS: tuple[str, ...] = tuple(dict.fromkeys(SPEC["dimension"]))


def dimension_of(indicator: str) -> str | None:
    info = indicator_info(indicator)
    return info["dimension"] if info else None


def indicators_of(dimension: str) -> list[str]:
    return [ind for ind in SPEC["indicator"] if dimension_of(ind) == dimension]


def period(ds: date | datetime | None, lang: str) -> str:
    """A period as the language writes it: a month start is a month (``2025年6月`` /
    ``Jun 2025``), any other day a date (``2025年6月3日`` / ``3 Jun 2025``)."""
    if ds is None:
        return ""
    if ds.day == 1 and not (isinstance(ds, datetime) and (ds.hour or ds.minute)):
        return month_text(ds, lang)
    return day_text(ds, lang)


def moment(at: datetime | None, lang: str) -> str:
    """A timestamp to the minute (UTC), the same in both languages: ``2025-06-03 14:05``."""
    return f"{at:%Y-%m-%d %H:%M}" if at is not None else ""


def number(value: float | None, digits: int = 2) -> str:
    """``1,234.57``: grouped thousands, at most ``digits`` decimals, no trailing zeros
    (both languages group by thousands with a comma); a dash where there is no value."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    text = f"{value:,.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def shorten(text: str | None, limit: int = 90) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def reason(row, lang: str) -> str:
    """The row's reason in ``lang``, the other language's where that one is empty."""
    first, second = (row.reason_zh, row.reason_en) if lang == "zh" else (row.reason_en, row.reason_zh)
    return first or second or ""


def template_helpers(lang: str) -> dict:
    """The formatters as template globals, bound to ``lang``."""
    return {
        "fmt_period": lambda ds: period(ds, lang),
        "fmt_moment": lambda at: moment(at, lang),
        "fmt_number": number,
        "fmt_percent": percent,
        "indicator_name": lambda ind: indicator_name(ind, lang),
        "reason_of": lambda row: reason(row, lang),
        "shorten": shorten,
    }
