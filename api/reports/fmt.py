"""Numbers, months and dates as each language writes them, for the report: the console's
formats (:mod:`api.console.formats`: ``1,234.5``; ``2025年6月`` / ``Jun 2025``) plus
shares, changes, periods and moments. Empty values print as a dash."""

from __future__ import annotations

import math
from datetime import date, datetime

from api.console.formats import BLANK as DASH
from api.console.formats import day_text, month_text, num, signed
from api.reports.figures import Period

_QUARTERS_ZH = ("一", "二", "三", "四")


def number(value: float | None, places: int = 1) -> str:
    return num(value, places)


def signed_number(value: float | None, places: int = 1) -> str:
    return signed(value, places)


def percent(share: float | None, places: int = 0) -> str:
    """A share in [0, 1] as a percentage (``0.8`` -> ``80%``)."""
    if share is None or (isinstance(share, float) and math.isnan(share)):
        return DASH
    return f"{100 * share:.{places}f}%"


def change(now: float | None, before: float | None) -> str:
    """The relative change, signed (``+3.2%``); a dash when either is missing or zero."""
    if now is None or before is None or before == 0:
        return DASH
    return f"{100 * (now - before) / abs(before):+.1f}%"


def month(when: date | datetime, lang: str) -> str:
    return month_text(when, lang)


def period(p: Period, lang: str) -> str:
    if not p.quarterly:
        return month_text(p.start, lang)
    q = (p.start.month - 1) // 3
    return f"{p.start.year}年第{_QUARTERS_ZH[q]}季度" if lang == "zh" else f"Q{q + 1} {p.start.year}"


def day(when: date | datetime | None, lang: str) -> str:
    return day_text(when, lang)


def moment(when: datetime | None, lang: str) -> str:
    """A timestamp to the minute (UTC, as stored)."""
    return DASH if when is None else f"{day_text(when, lang)} {when:%H:%M}"
