"""Alembic revision 0003: the forecasts table goes up and down without touching the rest."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from api.db import downgrade, make_engine, migrate


def _inspect(url):
    engine = make_engine(url)
    try:
        insp = sa.inspect(engine)
        tables = set(insp.get_table_names())
        indexes = {i["name"] for i in insp.get_indexes("forecasts")} if "forecasts" in tables else set()
        with engine.connect() as conn:
            version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        return tables, indexes, version
    finally:
        engine.dispose()


def _count(url, table):
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar()
    finally:
        engine.dispose()


def test_0003_upgrade_and_downgrade(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    migrate(url, "0002")
    engine = make_engine(url)
    with engine.begin() as conn:  # data written before 0003 survives it both ways
        conn.execute(
            sa.text(
                "INSERT INTO targets (target_id, unique_id, org_unit, indicator, target, start, deadline, direction, "
                "aggregation, created_at, updated_at) VALUES ('t1', 'd1|rate', 'd1', 'rate', 5, '2024-01-01', "
                "'2024-12-31', 'higher', 'mean', '2024-01-01', '2024-01-01')"
            )
        )
    engine.dispose()
    tables, _, version = _inspect(url)
    assert "forecasts" not in tables and version == "0002"

    migrate(url, "0003")
    tables, indexes, version = _inspect(url)
    assert "forecasts" in tables and version == "0003"
    assert {"ix_forecasts_unique_id_cutoff", "ix_forecasts_org_unit_channel"} <= indexes
    engine = make_engine(url)
    try:
        insert = sa.text(
            "INSERT INTO forecasts (unique_id, org_unit, channel, ds, h_step, mean, lo_80, hi_80, lo_95, hi_95, "
            "cutoff, model_version, created_at) VALUES ('D01|hotline', 'D01', 'hotline', :ds, 1, 10, 9, 11, "
            "NULL, NULL, :cutoff, :version, '2026-01-01')"
        )
        with engine.begin() as conn:
            conn.execute(insert, {"ds": "2026-01-01", "cutoff": "2025-12-31", "version": "m/1"})
            conn.execute(insert, {"ds": "2026-01-01", "cutoff": "2025-12-31", "version": "m/2"})  # another version
            conn.execute(insert, {"ds": "2026-01-01", "cutoff": "2025-12-30", "version": "m/1"})  # another cutoff
        with pytest.raises(IntegrityError), engine.begin() as conn:  # (unique_id, ds, model_version, cutoff)
            conn.execute(insert, {"ds": "2026-01-01", "cutoff": "2025-12-31", "version": "m/1"})
    finally:
        engine.dispose()
    assert _count(url, "forecasts") == 3

    downgrade(url, "0002")
    tables, _, version = _inspect(url)
    assert "forecasts" not in tables and "targets" in tables and version == "0002"
    assert _count(url, "targets") == 1
    migrate(url, "0003")  # and up again
    assert _inspect(url)[2] == "0003" and _count(url, "forecasts") == 0


def test_0003_offline_sql_for_postgresql(capsys):
    from alembic import command

    from api.db import alembic_config

    command.upgrade(alembic_config("postgresql://u@localhost/govperf"), "0002:0003", sql=True)
    sql = capsys.readouterr().out
    assert "CREATE TABLE forecasts" in sql and "CREATE INDEX ix_forecasts_org_unit_channel" in sql
    assert "uq_forecasts_unique_id_ds_model_version_cutoff" in sql and "CREATE TABLE targets" not in sql
    command.downgrade(alembic_config("postgresql://u@localhost/govperf"), "0003:0002", sql=True)
    assert "DROP TABLE forecasts" in capsys.readouterr().out
