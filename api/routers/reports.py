"""The periodic performance report of an org unit or the whole city, as a document."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from api.auth import AnyRole
from api.capacity import ComputeTurn
from api.deps import SessionDep
from api.errors import problem_response
from api.reports import MEDIA_TYPES, ReportError, build, disposition

router = APIRouter(prefix="/v1/reports", tags=["reports"])
PERIOD_PATTERN = r"^\d{4}-(0[1-9]|1[0-2]|Q[1-4])$"

DOCUMENTS = {
    200: {
        "description": "The report: HTML (print CSS, inline SVG charts), PDF (A4) or an XLSX workbook "
                       "(one sheet per section)",
        "content": {media.split(";")[0]: {} for media in MEDIA_TYPES.values()},
    },
    404: {"description": "No observations of the org unit, or none in the period (``errors`` names the field)"},
}


@router.get(
    "",
    dependencies=[ComputeTurn],
    response_class=Response,
    responses=DOCUMENTS,
    summary="The periodic performance report (绩效分析报告) of an org unit or the whole city",
    description=(
        "Cover (unit, period, data and model versions), an overview written from the figures, the scorecard "
        "of every indicator against its stored target assessment (value, target, red/amber/green, P(miss)), "
        "trend charts, the period's alerts and how they were handled, the stored demand forecasts for the "
        "next period, citizen feedback by service area and dimension (masked texts only) and a comparison "
        "with peer districts. The same data and model versions give the same document. "
        "404 when the store has no observations of `org_unit` or none in `period`; 422 for a malformed "
        "period, format or language."
    ),
)
def report(
    _: AnyRole,
    request: Request,
    session: SessionDep,
    period: Annotated[str, Query(pattern=PERIOD_PATTERN, description="A month `2025-06` or a quarter `2025-Q2`")],
    org_unit: Annotated[str, Query(max_length=200, description="An org unit, e.g. `D03`, or `CITY` for the "
                                                               "whole city")],
    fmt: Annotated[Literal["html", "pdf", "xlsx"], Query(alias="format", description="Document format")] = "html",
    lang: Annotated[Literal["zh", "en"], Query(description="Language of the report (Chinese by default)")] = "zh",
) -> Response:
    try:
        document = build(session, period=period, org_unit=org_unit, fmt=fmt, lang=lang)
    except ReportError as err:
        errors = [{"loc": ["query", err.field], "msg": err.message,
                   "type": "not_found" if err.status == 404 else "value_error"}]
        slug = "validation-error" if err.status == 422 else None
        return problem_response(request, err.status, str(err), slug=slug, errors=errors)
    return Response(document.content, media_type=document.media_type, headers=disposition(document))
