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


@pytest.fixture
def database_url(tmp_path, postgres_server):
    """A fresh, empty service database: a SQLite file, or a new PostgreSQL database."""
    if postgres_server is None:
        yield f"sqlite:///{tmp_path / 'db' / 'govperf.db'}"
        return
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(postgres_server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def sqlite_only(postgres_server):
    """Skips a test that looks at the SQLite file itself when the suite runs on PostgreSQL."""
    if postgres_server is not None:
        pytest.skip("SQLite only")
