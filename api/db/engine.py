"""Engine and session factory for a database URL."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker


def ensure_sqlite_folder(database_url: str) -> None:
    """Create the folder of a file-based SQLite database (e.g. ``var/``) and the empty
    database file readable by its owner only (0600; SQLite gives its WAL and shared-memory
    files the same mode). An existing file keeps its mode."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return
    path = Path(database).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        return
    os.chmod(path, 0o600)  # in case the umask removed bits we asked for


def make_engine(database_url: str, *, busy_timeout_s: float = 5.0, **kwargs) -> Engine:
    """An engine for ``database_url``: SQLite (file) by default, PostgreSQL by URL.

    SQLite connections get foreign keys on, WAL journaling and a busy timeout, and may
    be used from FastAPI's worker threads. ``busy_timeout_s`` bounds how long a request
    waits for a locked SQLite database or for a pooled connection (the API answers 503
    after it rather than hanging). Statement parameters are never written to
    logs or error messages (``hide_parameters``): they may hold citizens' messages.
    """
    ensure_sqlite_folder(database_url)
    kwargs.setdefault("hide_parameters", True)
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        connect_args = {"check_same_thread": False, "timeout": busy_timeout_s}
        if url.database not in (None, "", ":memory:"):
            kwargs.setdefault("pool_timeout", busy_timeout_s)  # file databases use a queue pool
        connect_args.update(kwargs.pop("connect_args", {}))
        engine = create_engine(url, connect_args=connect_args, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # pragma: no cover - trivial
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            if url.database not in (None, "", ":memory:"):
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_timeout", busy_timeout_s)
    return create_engine(url, **kwargs)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded attributes after commit (responses are built after)."""
    return sessionmaker(engine, expire_on_commit=False, autoflush=True)
