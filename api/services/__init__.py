"""Database work behind the routers (no HTTP here)."""

from __future__ import annotations

import inspect


def accepts(func, name: str) -> bool:
    """Whether a served estimator's method takes keyword ``name`` (models of older releases,
    and stand-ins, may not)."""
    try:
        return name in inspect.signature(func).parameters
    except (TypeError, ValueError):
        return False
