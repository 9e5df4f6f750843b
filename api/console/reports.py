"""The console's reports page (everyone): choose a period, a unit and a format; the HTML
report opens in the page, PDF and XLSX download. The documents are those of
``GET /v1/reports`` and ``govperf report`` (:func:`api.reports.build`)."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.console.web import EVERYONE, ViewerDep, lang_of, render, require_role
from api.deps import SessionDep
from api.reports import FORMATS, LANGS, ReportError, build, disposition
from api.reports import data as report_data  # a module: api.reports.data imports api.console.names
from api.reports.figures import check_choice
from api.console.names import unit_name
from api.reports.figures import CITY

router = APIRouter(prefix="/console/reports", include_in_schema=False)


def _choices(session, lang: str) -> tuple[list[str], list[dict]]:
    units = [u for u in report_data.known_units(session) if u != CITY]
    listed = [CITY, *units] if units else []
    return report_data.known_periods(session), [{"id": u, "name": unit_name(u, lang)} for u in listed]


def _failed(request: Request, viewer, err: ReportError, value: str) -> HTMLResponse:
    """The report's error page: what is wrong, and a link back to the form."""
    if err.status == 404:
        message, values = f"report_err_{err.field}", {"value": value}
    else:
        message, values = "report_err_invalid", {"detail": str(err)}
    return render(request, "report_error.html", viewer, status_code=err.status, message=message, values=values)


@router.get("", response_class=HTMLResponse)
def reports_page(request: Request, viewer: ViewerDep, session: SessionDep, period: str = "", org_unit: str = "",
                 format: str = "html", lang: str = ""):
    require_role(viewer, EVERYONE)
    lang = lang or lang_of(request)
    periods, units = _choices(session, lang_of(request))
    chosen = {"period": period or (periods[0] if periods else ""), "org_unit": org_unit or CITY,
              "format": format, "lang": lang}
    if period and org_unit:
        try:  # checked before the page frames the document: a 404 page, not a framed one
            check_choice("format", format, FORMATS)
            check_choice("lang", lang, LANGS)
            report_data.resolve(session, period, org_unit)
        except ReportError as err:
            return _failed(request, viewer, err, period if err.field == "period" else org_unit)
        if format != "html":
            return RedirectResponse(f"/console/reports/document?{urlencode(chosen)}", status_code=303)
    links = {f: "/console/reports/document?" + urlencode({**chosen, "format": f}) for f in FORMATS}
    return render(request, "reports.html", viewer, periods=periods, units=units, chosen=chosen,
                  formats=FORMATS, show=bool(period and org_unit), links=links)


@router.get("/document")
def report_document(request: Request, viewer: ViewerDep, session: SessionDep, period: str = "", org_unit: str = "",
                    format: str = "html", lang: str = ""):
    require_role(viewer, EVERYONE)
    lang = lang or lang_of(request)
    try:
        document = build(session, period=period, org_unit=org_unit, fmt=format, lang=lang)
    except ReportError as err:
        return _failed(request, viewer, err, period if err.field == "period" else org_unit)
    return Response(document.content, media_type=document.media_type, headers=disposition(document))
