"""Numbers and dates as the reader's language writes them, as Jinja filters.

``{{ x | num(1) }}`` -> ``1,234.5`` (``–`` for a blank); ``{{ x | signed(1) }}`` -> ``+1.2``;
``{{ ds | month }}`` -> ``2025年6月`` / ``Jun 2025``; ``{{ ds | day }}`` -> ``2025年6月1日`` /
``1 Jun 2025``; ``{{ svg | svg_uri }}`` an SVG chart for ``<img src>``. The date filters read ``lang`` from the template's context.
"""

from __future__ import annotations

import base64
import math
from datetime import date, datetime

from jinja2 import Environment, pass_context

BLANK = "–"
MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _blank(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def num(value, decimals: int = 1) -> str:
    """Grouped thousands, fixed decimals (both languages write ``1,234.5``)."""
    if _blank(value):
        return BLANK
    return f"{float(value):,.{int(decimals)}f}"


def signed(value, decimals: int = 1) -> str:
    """Like :func:`num` with an explicit ``+`` on positive numbers."""
    if _blank(value):
        return BLANK
    return f"{float(value):+,.{int(decimals)}f}"


def percent(share, places: int = 0) -> str:
    """A share in [0, 1] as a percentage (``0.8`` -> ``80%``); a dash for a blank or infinity."""
    if share is None or not math.isfinite(float(share)):
        return BLANK
    return f"{100 * float(share):.{int(places)}f}%"


def month_text(value: date | datetime | None, lang: str) -> str:
    if value is None:
        return BLANK
    return f"{value.year}年{value.month}月" if lang == "zh" else f"{MONTHS_EN[value.month - 1]} {value.year}"


def day_text(value: date | datetime | None, lang: str) -> str:
    if value is None:
        return BLANK
    if lang == "zh":
        return f"{value.year}年{value.month}月{value.day}日"
    return f"{value.day} {MONTHS_EN[value.month - 1]} {value.year}"


@pass_context
def _month(context, value) -> str:
    return month_text(value, context.get("lang", "zh"))


@pass_context
def _day(context, value) -> str:
    return day_text(value, context.get("lang", "zh"))


def svg_uri(svg: str) -> str:
    """An SVG chart as a ``data:`` URI for ``<img src>``: the console's CSP forbids the inline
    styles matplotlib writes into an inline ``<svg>``, but not an image's own styles."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def install(env: Environment) -> None:
    env.filters.update(num=num, signed=signed, month=_month, day=_day, svg_uri=svg_uri)
