"""Logging: one JSON object per line for every logger of the process, with the request id.

``govperf serve`` passes :func:`uvicorn_log_config` to uvicorn. Every handler (uvicorn's,
the service's ``govperf.*``, the library's ``govperf_ml``, and the root logger that
SQLAlchemy, Alembic and MLflow log through) writes JSON lines via python-json-logger::

    {"level": "INFO", "logger": "govperf.api.access", "message": "POST /v1/observations 200",
     "time": "2026-12-03T09:12:01.123000+00:00", "request_id": "5f0c…", "method": "POST",
     "route": "/v1/observations", "status": 200, "ms": 41.7, "model_versions": ["govperf-anomaly/3"]}

A log record written while a request is served carries that request's id (a context
variable set by :class:`api.middleware.RequestContext`). Nothing logs request bodies,
query strings or statement parameters (``hide_parameters`` on the engine): they may hold
citizens' personal data. ``GOVPERF_LOG_FORMAT=text`` gives uvicorn's plain format instead.
"""

from __future__ import annotations

import copy
import logging
from contextvars import ContextVar
from typing import Any

#: the id of the request being served in this context (None outside requests)
REQUEST_ID: ContextVar[str | None] = ContextVar("govperf_request_id", default=None)

_JSON_FORMAT = "%(levelname)s %(name)s %(message)s"
_RENAMED = {"levelname": "level", "name": "logger"}


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record written while a request is served."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            request_id = REQUEST_ID.get()
            if request_id is not None:
                record.request_id = request_id
        return True


def json_formatter() -> dict[str, Any]:
    """A ``logging.config`` formatter entry for python-json-logger's JSON lines."""
    return {
        "()": "pythonjsonlogger.json.JsonFormatter",
        "fmt": _JSON_FORMAT,
        "rename_fields": _RENAMED,
        "timestamp": "time",  # ISO 8601 in UTC
        "json_ensure_ascii": False,
    }


def uvicorn_log_config(level: str = "INFO", *, fmt: str = "json") -> dict[str, Any]:
    """uvicorn's logging config with the service's loggers added and, for ``fmt="json"``,
    every handler writing JSON lines (the root logger included)."""
    from uvicorn.config import LOGGING_CONFIG

    if fmt not in ("json", "text"):
        raise ValueError(f"log format must be 'json' or 'text', not {fmt!r}")
    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["request_id"] = {"()": "api.log_config.RequestIdFilter"}
    for name in ("govperf", "govperf_ml"):
        config["loggers"][name] = {"handlers": ["default"], "level": level.upper(), "propagate": False}
    config["root"] = {"handlers": ["default"], "level": "WARNING"}  # SQLAlchemy, Alembic, MLflow
    for handler in config["handlers"].values():
        handler.setdefault("filters", []).append("request_id")
        if fmt == "json":
            handler["formatter"] = "json"
    if fmt == "json":
        config["formatters"]["json"] = json_formatter()
    return config
