"""Numbers, months and dates as each language writes them (``1,234.5``; ``2025年6月`` /
``Jun 2025``). Empty values print as a dash."""

from __future__ import annotations

import math
from datetime import date, datetime

from api.reports.figures import Period

DASH = "—"
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_QUARTERS_ZH = ("一", "二", "三", "四")


def number(value: float | None, places: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return DASH
    return f"{value:,.{places}f}"


def percent(share: float | None, places: int = 0) -> str:
    """A share in [0, 1] as a percentage (``0.8`` -> ``80%``)."""
    return DASH if share is None else f"{100 * share:.{places}f}%"


def change(now: float | None, before: float | None) -> str:
    """The relative change, signed (``+3.2%``); a dash when either is missing or zero."""
    if now is None or before is None or before == 0:
        return DASH
    return f"{100 * (now - before) / abs(before):+.1f}%"


def month(when: date | datetime, lang: str) -> str:
    return f"{when.year}年{when.month}月" if lang == "zh" else f"{_MONTHS_EN[when.month - 1]} {when.year}"


def period(p: Period, lang: str) -> str:
    if not p.quarterly:
        return month(p.start, lang)
    q = (p.start.month - 1) // 3
    return f"{p.start.year}年第{_QUARTERS_ZH[q]}季度" if lang == "zh" else f"Q{q + 1} {p.start.year}"


def day(when: date | datetime | None, lang: str) -> str:
    if when is None:
        return DASH
    if lang == "zh":
        return f"{when.year}年{when.month}月{when.day}日"
    return f"{when.day} {_MONTHS_EN[when.month - 1]} {when.year}"


def moment(when: datetime | None, lang: str) -> str:
    """A timestamp to the minute (UTC, as stored)."""
    return DASH if when is None else f"{day(when, lang)} {when:%H:%M}"
