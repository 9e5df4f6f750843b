"""The periodic performance report (绩效分析报告) of one org unit or the whole city.

``govperf report``, ``GET /v1/reports`` and the console's ``/console/reports`` all call
:func:`build`: :mod:`api.reports.data` gathers the figures from the store,
:mod:`api.reports.render` (HTML, PDF) and :mod:`api.reports.xlsx` write the document.
Sections: cover (unit, period, data and model versions), overview (generated sentences),
scorecard against targets, trend charts, warnings and their handling, demand outlook,
citizen feedback, comparison with peer districts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.orm import Session

from api.reports.figures import FORMATS, LANGS, ReportError, check_choice

MEDIA_TYPES = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


#: what a report in HTML may load when served on its own: its inline styles and nothing else
DOCUMENT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'"


@dataclass(frozen=True)
class Document:
    content: bytes
    media_type: str
    filename: str


def disposition(document: Document) -> dict[str, str]:
    """Response headers: HTML shown in place (locked down), PDF and XLSX as downloads."""
    if document.media_type.startswith("text/html"):
        return {"Content-Disposition": f'inline; filename="{document.filename}"',
                "Content-Security-Policy": DOCUMENT_CSP}
    return {"Content-Disposition": f'attachment; filename="{document.filename}"'}


def write(data, fmt: str, lang: str) -> bytes:
    """The document of gathered figures in ``fmt`` (html, pdf, xlsx) and ``lang``."""
    import api.reports.render as documents
    from api.reports.xlsx import xlsx

    if fmt == "html":
        return documents.html(data, lang).encode("utf-8")
    if fmt == "pdf":
        return documents.pdf(data, lang)
    return xlsx(documents.context(data, lang, with_charts=False))


def build(session: Session, *, period: str, org_unit: str, fmt: str = "html", lang: str = "zh") -> Document:
    """The report of ``org_unit`` (a unit id, or ``CITY``) for ``period`` (``2025-06`` or
    ``2025-Q2``). Raises :class:`ReportError` naming the bad input (404: no data; 422:
    malformed)."""
    from api.reports.data import gather

    check_choice("format", fmt, FORMATS)
    check_choice("lang", lang, LANGS)
    data = gather(session, period, org_unit)
    unit = re.sub(r"[^A-Za-z0-9_-]", "_", data.org_unit)
    name = f"govperf-report-{unit}-{data.period.label}-{lang}.{fmt}"
    return Document(content=write(data, fmt, lang), media_type=MEDIA_TYPES[fmt], filename=name)


__all__ = ["DOCUMENT_CSP", "FORMATS", "LANGS", "MEDIA_TYPES", "Document", "ReportError", "build", "disposition",
           "write"]
