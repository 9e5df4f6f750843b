"""Numbers, months and dates as each language writes them, for the report: the console's
formats (:mod:`api.console.formats`: ``1,234.5``; ``2025年6月`` / ``Jun 2025``) plus
shares, changes, periods and moments. Empty values print as a dash."""

from __future__ import annotations

from datetime import datetime

from api.console.formats import BLANK as DASH
from api.console.formats import day_text, month_text, percent
from api.console.formats import day_text as day
from api.console.formats import month_text as month
from api.console.formats import num as number
from api.console.formats import signed as signed_number
from api.reports.figures import Period

# the templates and the summary read every format as fmt.<name>
__all__ = ["DASH", "change", "day", "moment", "month", "number", "percent", "period", "signed_number"]

_QUARTERS_ZH = ("一", "二", "三", "四")


def change(now: float | None, before: float | None) -> str:
    """The relative change, signed (``+3.2%``); a dash when either is missing or zero."""
    if now is None or before is None or before == 0:
        return DASH
    return f"{100 * (now - before) / abs(before):+.1f}%"


def period(p: Period, lang: str) -> str:
    if not p.quarterly:
        return month_text(p.start, lang)
    q = (p.start.month - 1) // 3
    return f"{p.start.year}年第{_QUARTERS_ZH[q]}季度" if lang == "zh" else f"Q{q + 1} {p.start.year}"


def moment(when: datetime | None, lang: str) -> str:
    """A timestamp to the minute (UTC, as stored)."""
    return DASH if when is None else f"{day_text(when, lang)} {when:%H:%M}"
