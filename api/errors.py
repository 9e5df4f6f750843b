"""Error handling: every error leaves the service as a short JSON body.

* :class:`govperf_ml.contracts.DataContractError` -> 422, in the same shape as FastAPI's
  own validation errors, so the client sees which field is wrong::

      {"detail": [{"loc": ["body", "y"], "msg": "...", "type": "data_contract", "ids": [...]}]}

* :class:`ModelUnavailable` -> 503 naming the model and the command that trains it.
* :class:`Conflict` (an invalid status change) and database integrity errors (two
  requests writing the same key at once) -> 409.
* A database too busy to answer in time (SQLite locked past its busy timeout, a
  PostgreSQL lock timeout, no pooled connection in time) -> 503 with ``Retry-After``:
  the request was rolled back whole and may simply be sent again.
* Request validation errors -> 422 without echoing the submitted values (they may hold
  personal data).
* Anything else -> 500 ``{"detail": "internal server error", "request_id": ...}``; the
  traceback goes to the server log only (see :mod:`api.middleware`).
"""

from __future__ import annotations

from fastapi import FastAPI, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

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


def data_contract_detail(err: DataContractError, prefix: tuple = ("body",)) -> list[dict]:
    loc = [*prefix, err.field] if err.field else list(prefix)
    ids = [i if isinstance(i, (str, int, float)) else str(i) for i in err.ids[:MAX_IDS]]
    return [{"loc": loc, "msg": str(err), "type": "data_contract", "ids": ids}]


async def _data_contract(request: Request, exc: DataContractError) -> JSONResponse:
    return JSONResponse(
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT, content={"detail": data_contract_detail(exc)}
    )


async def _model_unavailable(request: Request, exc: ModelUnavailable) -> JSONResponse:
    return JSONResponse(
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        content={"detail": exc.message},
        headers={"Retry-After": "300"},
    )


async def _conflict(request: Request, exc: Conflict) -> JSONResponse:
    return JSONResponse(status_code=status.HTTP_409_CONFLICT, content={"detail": exc.message})


async def _integrity(request: Request, exc: IntegrityError) -> JSONResponse:
    # Two requests wrote the same key at once; the transaction was rolled back whole.
    return JSONResponse(
        status_code=status.HTTP_409_CONFLICT,
        content={"detail": "the request conflicts with a concurrent change and was not applied; retry it"},
    )


#: what the drivers say when the database stayed busy past the timeout
_BUSY = ("database is locked", "database is busy", "lock timeout", "could not obtain lock", "deadlock detected")


async def _busy(request: Request, exc: OperationalError | PoolTimeout) -> JSONResponse:
    if isinstance(exc, OperationalError) and not any(m in str(exc.orig).lower() for m in _BUSY):
        raise exc  # another operational failure: a 500, logged with its traceback
    return JSONResponse(
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        content={"detail": "the database is busy; the request was not applied, retry it shortly"},
        headers={"Retry-After": "1"},
    )


async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    # Like FastAPI's default handler, minus "input" and "ctx" values: they echo what the
    # client sent, which for citizen feedback may be personal data.
    detail = [{k: v for k, v in err.items() if k not in ("input", "ctx", "url")} for err in exc.errors()]
    return JSONResponse(status_code=status.HTTP_422_UNPROCESSABLE_CONTENT, content={"detail": jsonable_encoder(detail)})


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DataContractError, _data_contract)
    app.add_exception_handler(ModelUnavailable, _model_unavailable)
    app.add_exception_handler(Conflict, _conflict)
    app.add_exception_handler(IntegrityError, _integrity)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(OperationalError, _busy)
    app.add_exception_handler(PoolTimeout, _busy)
    # Unexpected exceptions are turned into a bare 500 by api.middleware.RequestContext.
