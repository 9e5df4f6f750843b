"""Engine and session factory for a database URL."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import TimeoutError as PoolTimeout
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


def make_engine(database_url: str, *, busy_timeout_s: float = 5.0, pool_size: int | None = None,
                max_overflow: int | None = None, **kwargs) -> Engine:
    """An engine for ``database_url``: SQLite (file) by default, PostgreSQL by URL.

    SQLite connections get foreign keys on, WAL journaling and a busy timeout, and may
    be used from FastAPI's worker threads. ``busy_timeout_s`` bounds how long a request
    waits for a locked SQLite database or for a pooled connection (the API answers 503
    after it rather than hanging); on a SQLite file, write transactions take turns
    (:func:`writer`). ``pool_size``/``max_overflow`` size the connection pool of a file
    or server database (settings ``db_pool_size``, ``db_max_overflow``). Statement parameters are never written to
    logs or error messages (``hide_parameters``): they may hold citizens' messages.
    """
    ensure_sqlite_folder(database_url)
    kwargs.setdefault("hide_parameters", True)
    url = make_url(database_url)
    if url.database not in (None, "", ":memory:"):
        for name, value in (("pool_size", pool_size), ("max_overflow", max_overflow)):
            if value is not None:
                kwargs.setdefault(name, value)
    if url.get_backend_name() == "sqlite":
        connect_args = {"check_same_thread": False, "timeout": busy_timeout_s}
        if url.database not in (None, "", ":memory:"):
            kwargs.setdefault("pool_timeout", busy_timeout_s)  # file databases use a queue pool
        connect_args.update(kwargs.pop("connect_args", {}))
        engine = create_engine(url, connect_args=connect_args, **kwargs)
        if url.database not in (None, "", ":memory:"):
            _serialise_writers(engine, busy_timeout_s)

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


class WriterQueueTimeout(PoolTimeout):
    """Another request held SQLite's writer turn past the busy timeout (answered 503)."""


WRITER = "govperf_writer"  # execution option of the connections of write requests


def writer(engine: Engine) -> Engine:
    """``engine`` for requests that write: on SQLite their transactions take turns."""
    return engine.execution_options(**{WRITER: True})


def _serialise_writers(engine: Engine, timeout_s: float) -> None:
    """One write transaction at a time per process, queued in Python.

    SQLite has one writer; left to itself, concurrent writers poll its lock with growing
    sleeps (unfair, and each failed upgrade is an error). Here a connection of
    :func:`writer` takes a process-wide lock when its transaction begins (``BEGIN
    IMMEDIATE``: the write lock at once, so it never fails half-way) and gives it back
    when the connection returns to the pool. Readers never wait (WAL). A writer that
    cannot get its turn within ``timeout_s`` raises :class:`WriterQueueTimeout`.
    """
    lock = threading.Lock()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        if not conn.get_execution_options().get(WRITER) or conn.info.get(WRITER):
            return
        if not lock.acquire(timeout=timeout_s):
            raise WriterQueueTimeout(f"no turn to write within {timeout_s:g} s")
        conn.info[WRITER] = True
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    @event.listens_for(engine, "checkin")
    def _checkin(_dbapi_connection, record):
        if record.info.pop(WRITER, False):
            lock.release()

    @event.listens_for(engine, "close")
    def _close(_dbapi_connection, record):  # pragma: no cover - a connection dropped while writing
        if record.info.pop(WRITER, False):
            lock.release()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded attributes after commit (responses are built after)."""
    return sessionmaker(engine, expire_on_commit=False, autoflush=True)
