"""Alembic revision 0002: the targets table goes up and down without touching the rest."""

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
        indexes = {i["name"] for i in insp.get_indexes("targets")} if "targets" in tables else set()
        with engine.connect() as conn:
            version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        return tables, indexes, version
    finally:
        engine.dispose()


def test_0002_upgrade_and_downgrade(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    migrate(url, "0001")
    engine = make_engine(url)
    with engine.begin() as conn:  # data written before 0002 survives it both ways
        conn.execute(
            sa.text(
                "INSERT INTO observations (org_unit, indicator, unique_id, ds, value, received_at, updated_at) "
                "VALUES ('d1', 'rate', 'd1|rate', '2024-01-01', 1.0, '2024-01-02', '2024-01-02')"
            )
        )
    engine.dispose()
    tables, _, version = _inspect(url)
    assert "targets" not in tables and version == "0001"

    migrate(url, "0002")
    tables, indexes, version = _inspect(url)
    assert "targets" in tables and version == "0002"
    assert indexes == {"ix_targets_unique_id", "ix_targets_org_unit_indicator", "ix_targets_risk_status"}
    engine = make_engine(url)
    try:
        insert = sa.text(
            "INSERT INTO targets (target_id, unique_id, org_unit, indicator, target, start, deadline, direction, "
            "aggregation, created_at, updated_at, risk_status) VALUES (:id, 'd1|rate', 'd1', 'rate', 5, "
            "'2024-01-01', '2024-12-31', 'higher', 'mean', '2024-01-01', '2024-01-01', :status)"
        )
        with engine.begin() as conn:
            conn.execute(insert, {"id": "t1", "status": None})
            conn.execute(insert, {"id": "t2", "status": "red"})
        for bad in ({"id": "t1", "status": None}, {"id": "t3", "status": "purple"}):  # unique id, known statuses
            with pytest.raises(IntegrityError), engine.begin() as conn:
                conn.execute(insert, bad)
    finally:
        engine.dispose()

    downgrade(url, "0001")
    tables, _, version = _inspect(url)
    assert "targets" not in tables and "observations" in tables and version == "0001"
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM observations")).scalar() == 1
    finally:
        engine.dispose()
    migrate(url, "0002")  # and up again
    assert _inspect(url)[2] == "0002"


def test_0002_offline_sql_for_postgresql(capsys):
    from alembic import command

    from api.db import alembic_config

    command.upgrade(alembic_config("postgresql://u@localhost/govperf"), "0001:0002", sql=True)
    sql = capsys.readouterr().out
    assert "CREATE TABLE targets" in sql and "CREATE INDEX ix_targets_risk_status" in sql
    assert "ck_targets_risk_status" in sql and "CREATE TABLE alerts" not in sql
    command.downgrade(alembic_config("postgresql://u@localhost/govperf"), "0002:0001", sql=True)
    assert "DROP TABLE targets" in capsys.readouterr().out
