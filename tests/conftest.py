"""Shared fixtures: small seeded panels, and an isolated MLflow store per test session."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

# the console's browser fixtures (`browser`, `page`): one Chromium for the session
pytest_plugins = ["tests.api.browser"]


def make_panel(n_series=4, n=60, freq="MS", seed=0, season=12, level=50.0, noise=1.0):
    """A seeded long frame of seasonal series (unique_id, ds, y)."""
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2021-01-01", periods=n, freq=freq)
    parts = []
    for i in range(n_series):
        y = level + 5 * np.sin(np.arange(n) * 2 * np.pi / season + i) + rng.normal(0, noise, n)
        parts.append(pd.DataFrame({"unique_id": f"s{i}", "ds": ds, "y": y}))
    return pd.concat(parts, ignore_index=True)


@pytest.fixture
def panel():
    return make_panel()


@pytest.fixture(scope="session")
def city():
    from govperf_ml.sample_city import make_sample_city

    return make_sample_city(seed=0)


@pytest.fixture
def mlflow_home(tmp_path, monkeypatch):
    """An empty local MLflow store in a temporary folder."""
    monkeypatch.setenv("GOVPERF_HOME", str(tmp_path))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("GOVPERF_MLFLOW_TRACKING_URI", raising=False)
    return tmp_path


@pytest.fixture(scope="session")
def postgres_server():
    """The PostgreSQL server the API tests run on, or None for SQLite (the default).

    ``GOVPERF_TEST_DATABASE_URL=postgres`` starts a throw-away local server
    (:func:`govperf_ml.bench.postgres.local_postgres`); a ``postgresql+psycopg://`` URL
    uses that server. Each test gets a fresh database on it.
    """
    import os

    wanted = os.environ.get("GOVPERF_TEST_DATABASE_URL", "").strip()
    if not wanted:
        yield None
    elif wanted == "postgres":
        from govperf_ml.bench.postgres import local_postgres

        with local_postgres(durable=False) as url:
            yield url
    else:
        yield wanted


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory, postgres_server):
    """One database at the head revision for the session: a SQLite file the tests copy, or
    a PostgreSQL database they empty. Migrating anew for each test cost 0.25 s on SQLite
    and 0.6 s on PostgreSQL (create, migrate, drop), a third of the API tests' time."""
    from api.db import migrate

    if postgres_server is None:
        path = tmp_path_factory.mktemp("template") / "govperf.db"
        migrate(f"sqlite:///{path}")
        assert not path.with_name(path.name + "-wal").exists(), "the template must be checkpointed"
        yield path
        return
    url = _new_postgres_database(postgres_server)
    migrate(url)
    yield url, _seeded_rows(url)


def _seeded_rows(url: str) -> dict[str, list[dict]]:
    """The rows the migrations write (the alert counter), by table, to put back after emptying."""
    from sqlalchemy import MetaData, create_engine, select

    engine = create_engine(url)
    try:
        meta = MetaData()
        meta.reflect(engine)
        with engine.connect() as conn:
            rows = {name: [dict(r._mapping) for r in conn.execute(select(table))]
                    for name, table in meta.tables.items() if name != "alembic_version"}
    finally:
        engine.dispose()
    return {name: r for name, r in rows.items() if r}


def _new_postgres_database(server: str) -> str:
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return make_url(server).set(database=name).render_as_string(hide_password=False)


def _emptied(url: str, seeded: dict[str, list[dict]]) -> str:
    """``url``'s database as the migrations left it: every table emptied, every sequence
    restarted, the ``seeded`` rows put back. The sessions a previous test left open are
    ended first (nothing else may hold a lock)."""
    from sqlalchemy import MetaData, create_engine, text

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
            tables = conn.execute(text("SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = "
                                       "current_schema() AND tablename <> 'alembic_version'")).scalars().all()
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            meta = MetaData()
            meta.reflect(conn, only=list(seeded))
            for name, rows in seeded.items():
                conn.execute(meta.tables[name].insert(), rows)
    finally:
        engine.dispose()
    return url


@pytest.fixture
def database_url(request, tmp_path, postgres_server, migrated_database):
    """A service database with no rows, at the head revision: a copy of the session's
    migrated SQLite file, or the session's PostgreSQL database emptied. A test marked
    ``@pytest.mark.empty_database`` gets a database without tables instead (to see the
    app create and migrate it)."""
    import shutil

    empty = request.node.get_closest_marker("empty_database") is not None
    if postgres_server is None:
        path = tmp_path / "db" / "govperf.db"
        if not empty:
            path.parent.mkdir()
            shutil.copy2(migrated_database, path)  # keeps its 0600 mode
        yield f"sqlite:///{path}"
    elif empty:
        yield _new_postgres_database(postgres_server)
    else:
        yield _emptied(*migrated_database)


@pytest.fixture
def sqlite_only(postgres_server):
    """Skips a test that looks at the SQLite file itself when the suite runs on PostgreSQL."""
    if postgres_server is not None:
        pytest.skip("SQLite only")
