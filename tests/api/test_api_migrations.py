"""Alembic: the revisions create every table, match the ORM, and downgrade."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from api.db import Base, downgrade, make_engine, migrate

TABLES = {
    "observations",
    "alerts",
    "alert_events",
    "feedback_messages",
    "feedback_corrections",
    "counters",
    "targets",
    "target_assessments",
    "forecasts",
    "forecast_runs",
    "webhook_subscriptions",
    "webhook_deliveries",
    "users",
    "console_sessions",
    "audit_log",
}


@pytest.mark.empty_database
def test_upgrade_creates_every_table_and_matches_the_models(database_url):
    url = database_url  # on SQLite its folder does not exist yet: migrate creates it
    migrate(url)
    engine = make_engine(url)
    try:
        assert TABLES | {"alembic_version"} == set(sa.inspect(engine).get_table_names())
        assert set(Base.metadata.tables) == TABLES
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
            assert diff == []
            assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == "0010"
            assert conn.execute(sa.text("SELECT value FROM counters WHERE name = 'alert_seq'")).scalar() == 0
    finally:
        engine.dispose()


@pytest.mark.empty_database
def test_upgrade_is_repeatable_and_downgrade_base_drops_everything(database_url):
    url = database_url
    migrate(url)
    migrate(url)  # already at head: nothing happens
    downgrade(url, "base")
    engine = make_engine(url)
    try:
        assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
    migrate(url)  # and back up again
    engine = make_engine(url)
    try:
        assert set(sa.inspect(engine).get_table_names()) >= TABLES
    finally:
        engine.dispose()


def test_offline_sql_renders_for_postgresql(tmp_path, capsys):
    from alembic import command

    from api.db import alembic_config

    command.upgrade(alembic_config("postgresql://u@localhost/govperf"), "head", sql=True)
    sql = capsys.readouterr().out
    assert "CREATE TABLE alerts" in sql and "CREATE TABLE feedback_corrections" in sql
    assert "CREATE TABLE targets" in sql and "CREATE TABLE forecasts" in sql
    assert "CREATE TABLE webhook_subscriptions" in sql and "CREATE TABLE webhook_deliveries" in sql
    assert "CREATE TABLE users" in sql and "CREATE TABLE audit_log" in sql
    assert "CREATE TABLE forecast_runs" in sql and "WHERE run_id IS NULL" in sql
    assert "INSERT INTO counters" in sql


@pytest.mark.empty_database
def test_the_app_migrates_at_start_up(client, settings):
    engine = make_engine(settings.database_url)
    try:
        assert set(sa.inspect(engine).get_table_names()) >= TABLES
    finally:
        engine.dispose()


def test_upgrading_keeps_the_rows_that_point_at_rebuilt_tables(tmp_path):
    """SQLite rebuilds a table to change it (0007 rebuilds alerts): the alerts' events and
    webhook deliveries must survive, which they would not with foreign keys on."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    migrate(url, "0006")
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO alerts (id, seq, unique_id, org_unit, indicator, ds, kind, severity, detectors, reason_en, "
                "reason_zh, model_version, status, created_at, updated_at) VALUES (1, 1, 'D01|x', 'D01', 'x', "
                "'2025-01-01', 'performance_anomaly', 'high', '[]', '', '', 'm/1', 'open', '2025-01-02', '2025-01-02')"))
            conn.execute(sa.text("INSERT INTO alert_events (alert_id, from_status, to_status, actor_role, actor_key, "
                                 "created_at) VALUES (1, NULL, 'open', 'scoring_core', 'k', '2025-01-02')"))
        migrate(url)
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM alert_events")).scalar() == 1
            assert conn.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1  # back on for the service
    finally:
        engine.dispose()
