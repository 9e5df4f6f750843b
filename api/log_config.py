"""Logging configuration for serving with uvicorn.

Uvicorn configures only its own loggers; this adds the service's (``govperf.*``) and
the library's (``govperf_ml``) to the same handler. The service logs one access line
per request itself (with request id and duration), so uvicorn's access log can be off::

    uvicorn.run("api.main:create_app", factory=True, log_config=uvicorn_log_config(),
                access_log=False)
"""

from __future__ import annotations

import copy
from typing import Any


def uvicorn_log_config(level: str = "INFO") -> dict[str, Any]:
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    for name in ("govperf", "govperf_ml"):
        config["loggers"][name] = {"handlers": ["default"], "level": level.upper(), "propagate": False}
    return config
