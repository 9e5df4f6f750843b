"""Error handling: every 4xx and 5xx leaves the service as RFC 9457 problem details
(``application/problem+json``, see :mod:`api.problem`), one shape for all of them.

* :class:`govperf_ml.contracts.DataContractError` -> 422 ``data-contract``; ``errors``
  names the field and the offending series ids.
* Request validation errors -> 422 ``validation-error``, one entry per field, without
  echoing the submitted values (they may hold personal data).
* :class:`ModelUnavailable` -> 503 naming the model and the command that trains it.
* :class:`Conflict` (an invalid status change) and database integrity errors (two
  requests writing the same key at once) -> 409.
* A database too busy to answer in time (SQLite locked past its busy timeout, a
  PostgreSQL lock timeout, no pooled connection in time) -> 503 with ``Retry-After``:
  the request was rolled back whole and may simply be sent again.
* Framework errors (401, 403, 404, 405, 429) keep their status and headers.
* Anything else -> 500 ``internal-error`` with the request id; the traceback goes to the
  server log only (see :mod:`api.middleware`).
"""

from __future__ import annotations

import re

from fastapi import FastAPI, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.problem import MEDIA_TYPE, problem, summary
from govperf_ml.contracts import DataContractError

MAX_IDS = 20


class ModelUnavailable(Exception):
    """The champion model for a capability is not loaded."""

    def __init__(self, capability: str):
        super().__init__(capability)
        self.capability = capability

    @property
    def message(self) -> str:
        return f"model {self.capability!r} is not loaded; run `govperf train {self.capability}`"


class Conflict(Exception):
    """A request that conflicts with the current state (e.g. an invalid status change)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ProblemResponse(JSONResponse):
    media_type = MEDIA_TYPE


def problem_response(
    request: Request,
    status_code: int,
    detail: str,
    *,
    slug: str | None = None,
    errors: list[dict] | None = None,
    headers: dict[str, str] | None = None,
) -> ProblemResponse:
    body = problem(
        status_code,
        detail,
        slug=slug,
        instance=request.url.path,
        request_id=getattr(request.state, "request_id", None),
        errors=errors,
    )
    return ProblemResponse(status_code=status_code, content=body, headers=headers)


def data_contract_detail(err: DataContractError, prefix: tuple = ("body",)) -> list[dict]:
    loc = [*prefix, err.field] if err.field else list(prefix)
    ids = [i if isinstance(i, (str, int, float)) else str(i) for i in err.ids[:MAX_IDS]]
    return [{"loc": loc, "msg": str(err), "type": "data_contract", "ids": ids}]


async def _data_contract(request: Request, exc: DataContractError) -> ProblemResponse:
    return problem_response(
        request, status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc), slug="data-contract", errors=data_contract_detail(exc)
    )


async def _model_unavailable(request: Request, exc: ModelUnavailable) -> ProblemResponse:
    return problem_response(
        request, status.HTTP_503_SERVICE_UNAVAILABLE, exc.message, slug="model-unavailable",
        headers={"Retry-After": "300"},
    )


async def _conflict(request: Request, exc: Conflict) -> ProblemResponse:
    return problem_response(request, status.HTTP_409_CONFLICT, exc.message, slug="conflict")


async def _integrity(request: Request, exc: IntegrityError) -> ProblemResponse:
    # Two requests wrote the same key at once; the transaction was rolled back whole.
    return problem_response(
        request, status.HTTP_409_CONFLICT,
        "the request conflicts with a concurrent change and was not applied; retry it", slug="conflict",
    )


#: what the drivers say when the database stayed busy past the timeout
_BUSY = ("database is locked", "database is busy", "lock timeout", "could not obtain lock", "deadlock detected")


async def _busy(request: Request, exc: OperationalError | PoolTimeout) -> ProblemResponse:
    if isinstance(exc, OperationalError) and not any(m in str(exc.orig).lower() for m in _BUSY):
        raise exc  # another operational failure: a 500, logged with its traceback
    return problem_response(
        request, status.HTTP_503_SERVICE_UNAVAILABLE,
        "the database is busy; the request was not applied, retry it shortly", slug="database-busy",
        headers={"Retry-After": "1"},
    )


async def _validation(request: Request, exc: RequestValidationError) -> ProblemResponse:
    # Like FastAPI's default handler, minus "input" and "ctx" values: they echo what the
    # client sent, which for citizen feedback may be personal data.
    errors = [{k: v for k, v in err.items() if k not in ("input", "ctx", "url")} for err in exc.errors()]
    errors = jsonable_encoder(errors)
    return problem_response(
        request, status.HTTP_422_UNPROCESSABLE_CONTENT, summary(errors), slug="validation-error", errors=errors
    )


_HTTP_SLUGS = {429: "too-many-failed-keys"}
_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def _allowed_methods(request: Request) -> str:
    """Every documented method at this path (Starlette's 405 names only the first route's)."""
    path = request.url.path
    for template, item in request.app.openapi().get("paths", {}).items():
        if re.fullmatch(re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)), path):
            return ", ".join(sorted(m.upper() for m in item if m in _METHODS))
    return ""


async def _http(request: Request, exc: StarletteHTTPException) -> ProblemResponse:
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    if exc.status_code == status.HTTP_400_BAD_REQUEST:  # FastAPI could not decode the body
        errors = [{"loc": ["body"], "msg": "the body is not valid JSON in UTF-8", "type": "json_invalid"}]
        return problem_response(
            request, status.HTTP_422_UNPROCESSABLE_CONTENT, summary(errors), slug="validation-error", errors=errors
        )
    headers = dict(exc.headers or {})
    if exc.status_code == status.HTTP_405_METHOD_NOT_ALLOWED:
        headers["Allow"] = _allowed_methods(request)
    return problem_response(request, exc.status_code, detail, slug=_HTTP_SLUGS.get(exc.status_code), headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DataContractError, _data_contract)
    app.add_exception_handler(ModelUnavailable, _model_unavailable)
    app.add_exception_handler(Conflict, _conflict)
    app.add_exception_handler(IntegrityError, _integrity)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(OperationalError, _busy)
    app.add_exception_handler(PoolTimeout, _busy)
    app.add_exception_handler(StarletteHTTPException, _http)
    # Unexpected exceptions are turned into a bare 500 by api.middleware.RequestContext.
