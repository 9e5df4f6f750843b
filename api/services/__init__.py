"""Database work behind the routers (no HTTP here)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session


def in_chunks(items: Sequence, size: int = 500) -> Iterator[Sequence]:
    """``items`` in slices of at most ``size``: keeps ``IN (...)`` lists within every
    database's parameter limit."""
    for i in range(0, len(items), size):
        yield items[i : i + size]


def count(session: Session, stmt: Select) -> int:
    """How many rows ``stmt`` selects (ignoring its order, limit and offset)."""
    return session.execute(select(func.count()).select_from(stmt.order_by(None).subquery())).scalar_one()
