"""The report as a document: HTML (a Jinja template of its own with print CSS: A4, page
numbers from CSS ``@page``), PDF (WeasyPrint renders that HTML, inline SVG charts
included) and XLSX (:mod:`api.reports.xlsx`).

Reproducible: nothing depends on the clock; the PDF's metadata dates and identifier are
fixed, so the same figures give the same document.
"""

from __future__ import annotations

import hashlib
import re
from types import SimpleNamespace
from collections import Counter
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from api.console.i18n import MESSAGES, translator
from api.reports import charts, fmt
from api.reports.figures import ReportData
from api.console import names as console_names
from api.console.compare_view import DIMENSION_ORDER
from api.reports.summary import summary
from govperf_ml.feedback.taxonomy import load_taxonomy
from govperf_ml.vocabulary import REVIEWED_STATUSES

HERE = Path(__file__).resolve().parent
_env = Environment(loader=FileSystemLoader(str(HERE / "templates")), autoescape=select_autoescape(["html"]),
                   trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
CSS = (HERE / "templates" / "report.css").read_text(encoding="utf-8")

#: the PDF's dates: fixed (a report is about its data, not about when it was printed)
PDF_DATE = "2000-01-01T00:00:00Z"


def css_string(text: str) -> str:
    """``text`` as a quoted CSS string (safe inside a <style> element)."""
    escaped = "".join(ch if ch.isalnum() or ch in " ·-_.,()/:年月日第季度" else f"\\{ord(ch):x} " for ch in text)
    return f'"{escaped}"'


def _names() -> SimpleNamespace:
    """Names for the template and the workbook (:mod:`api.console.names`)."""
    info = lambda indicator: console_names.indicator_info(indicator) or {}  # noqa: E731
    return SimpleNamespace(
        unit=console_names.unit_name, indicator=console_names.indicator_name, peer_group=console_names.peer_group,
        measure=lambda indicator: info(indicator).get("unit", ""),
        places=lambda indicator: info(indicator).get("decimals", 2),
    )


def _page_content(t) -> str:
    """The page-number label as a CSS ``content`` value (``"第 " counter(page) " 页" ...``)."""
    parts = re.split("([\x00\x01])", t("report_page", page="\x00", pages="\x01"))
    counters = {"\x00": "counter(page)", "\x01": "counter(pages)"}
    return " ".join(counters.get(p) or css_string(p) for p in parts if p)


def _label(t, prefix: str, key: str | None) -> str:
    full = f"{prefix}{key}"
    return t(full) if full in MESSAGES else (key or fmt.DASH)


def _unit_rows(data: ReportData) -> list[dict]:
    """Per unit: targets in force by status and the mean P(miss) (the city's summary)."""
    rows = []
    for unit in data.units:
        own = [r for r in data.scorecard if r.org_unit == unit and r.status]
        count = Counter(r.status for r in own)
        misses = [r.p_miss for r in own if r.p_miss is not None]
        rows.append({"unit": unit, "targets": len(own), "green": count["green"], "amber": count["amber"],
                     "red": count["red"], "mean_p_miss": sum(misses) / len(misses) if misses else None})
    return rows


def _feedback_view(data: ReportData, lang: str) -> dict | None:
    fb = data.feedback
    if fb is None or not fb.total:
        return None
    taxonomy = load_taxonomy()
    areas = sorted(fb.by_area, key=lambda a: (-fb.by_area[a], a))
    dims = sorted({d for _, d in fb.cells}, key=lambda d: (d == "-", list(taxonomy.dimensions).index(d)
                                                          if d in taxonomy.dimensions else 99, d))
    name = lambda d: taxonomy.dimensions.get(d, {}).get(lang, translator(lang)("report_dim_none"))  # noqa: E731
    return {
        "areas": [{"name": taxonomy.area_name(a, lang), "total": fb.by_area[a],
                   "cells": [fb.cells.get((a, d), 0) for d in dims]} for a in areas],
        "dims": [name(d) for d in dims],
        "issues": [{"area": taxonomy.area_name(i.area, lang), "dimension": name(i.dimension), "count": i.count,
                    "examples": i.examples} for i in fb.issues],
    }


def context(data: ReportData, lang: str, *, with_charts: bool = True) -> dict:
    """Everything the template and the spreadsheet show, formatted for ``lang``."""
    t = translator(lang)
    n = _names()
    unit_name, period_name = n.unit(data.org_unit, lang), fmt.period(data.period, lang)
    city = data.is_city
    return {
        "t": t, "lang": lang, "fmt": fmt, "names": n, "data": data, "city": city,
        "label": lambda prefix, key: _label(t, prefix, key),
        "title": t("report_title", unit=unit_name, period=period_name),
        "unit_name": unit_name, "period_name": period_name,
        "summary": summary(data, lang),
        "unit_rows": _unit_rows(data) if city else [],
        "score_rows": [r for r in data.scorecard if r.status or r.target is not None] if city else data.scorecard,
        "handled": sum(a.status in REVIEWED_STATUSES for a in data.alerts),
        "trend_charts": charts.trend_charts(data, lang) if with_charts else [],
        "forecast_charts": charts.forecast_charts(data, lang) if with_charts else [],
        "feedback": _feedback_view(data, lang),
        "peer_dimensions": [d for d in DIMENSION_ORDER if any(d in p.by_dimension for p in data.peers)],
        "peer_group": _label(t, "report_group_", n.peer_group(data.org_unit)),
        "css": CSS,
        "footer_css": css_string(f"{unit_name} · {period_name} · {data.data_version}"),
        "page_css": _page_content(t),
        "pdf_date": PDF_DATE,
    }


def html(data: ReportData, lang: str) -> str:
    return _env.get_template("report.html").render(context(data, lang))


def pdf(data: ReportData, lang: str) -> bytes:
    """The HTML through WeasyPrint (imported here: it needs system libraries)."""
    from weasyprint import HTML

    document = html(data, lang)
    identifier = hashlib.sha256(document.encode()).hexdigest()[:32].encode()
    return HTML(string=document, base_url=str(HERE)).write_pdf(pdf_identifier=identifier)
