"""Forecast runs: the user's series with a hierarchy (parent links or key columns) forecast,
reconciled, stored under a run id and read back; bad hierarchies are 422s naming the node."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

from api.db import Forecast, ForecastRun
from govperf_ml.registry import LoadedModel

URL = "/v1/forecast-runs"


class Peak:
    """The largest of the last three values: not additive, so reconciliation has work to do."""

    alias = "Peak"

    def forecast(self, df, *, h, level=(80, 95), freq=None):
        rows = []
        for uid, g in df.sort_values("ds").groupby("unique_id"):
            top = float(g["y"].tail(3).max())
            for ds in pd.date_range(g["ds"].iloc[-1], periods=h + 1, freq=freq or "MS")[1:]:
                rows.append({"unique_id": uid, "ds": ds, "Peak": top,
                             **{f"Peak-{s}-{lv}": top + (lv / 10 if s == "hi" else -lv / 10)
                                for lv in level for s in ("lo", "hi")}})
        return pd.DataFrame(rows)


@pytest.fixture
def client(make_client, helpers):
    models = helpers.fake_models()
    fc = models["forecast"]
    models["forecast"] = LoadedModel(capability="forecast", name=fc.name, version="7", run_id=fc.run_id,
                                     estimator=Peak(), metrics=fc.metrics)
    return make_client(models=models)


def history(helpers, ids, n=24, seed=0):
    rng = np.random.default_rng(seed)
    return [p for uid in ids for p in helpers.monthly(uid, list(np.round(rng.uniform(5, 50, n), 2)))]


PARENTS = [{"unique_id": "T"}, {"unique_id": "A", "parent": "T"}, {"unique_id": "B", "parent": "T"},
           {"unique_id": "a1", "parent": "A"}, {"unique_id": "a2", "parent": "A"}, {"unique_id": "b1", "parent": "B"}]
CHILDREN = {"T": ["A", "B"], "A": ["a1", "a2"], "B": ["b1"]}


def listed(client, auth, run_id, **params):
    r = client.get("/v1/forecasts", headers=auth("analyst"), params={"run_id": run_id, "limit": 1000, **params})
    assert r.status_code == 200, r.text
    return r.json()


def assert_coherent(rows, children):
    by = {(r["unique_id"], r["ds"]): r for r in rows}
    for parent, kids in children.items():
        for (uid, ds), row in by.items():
            if uid == parent:
                assert abs(row["mean"] - sum(by[(k, ds)]["mean"] for k in kids)) < 1e-6


@pytest.mark.parametrize("method", ["mint_shrink", "ols", "bottom_up"])
def test_parent_links_run_is_stored_and_adds_up_at_every_level(client, auth, helpers, method):
    body = {"series": history(helpers, ["a1", "a2", "b1"]), "hierarchy": {"parents": PARENTS}, "h": 3,
            "reconciliation": method}
    r = client.post(URL, headers=auth("analyst"), json=body)
    assert r.status_code == 201, r.text
    run = r.json()
    assert run["status"] == "completed" and run["reconciliation"] == method and run["series"] == 6
    assert run["bottom"] == 3 and run["model_version"].endswith("7") and run["cutoff"].startswith("2025-12-01")
    assert run["forecasts"] == f"/v1/forecasts?run_id={run['id']}" and run["created_by_role"] == "analyst"
    got = listed(client, auth, run["id"])
    assert got["count"] == 6 * 3
    rows = got["data"]
    assert {r["level"] for r in rows} == {"0", "1", "2"} and {r["run_id"] for r in rows} == {run["id"]}
    assert all(set(r["intervals"]) == {"80", "95"} and r["intervals"]["80"]["lo"] < r["mean"] for r in rows)
    assert_coherent(rows, CHILDREN)
    assert client.get(f"{URL}/{run['id']}", headers=auth("supervisor")).json() == run


def test_key_columns_run_names_aggregates_by_their_keys(client, auth, helpers):
    ids = ["C/CP/A01", "C/CP/A02", "C/SN/A01", "G/CP/A01"]
    keys = [{"unique_id": u, "keys": dict(zip(["Concession", "Type", "ATC2"], u.split("/")))} for u in ids]
    body = {"series": history(helpers, ids), "h": 2,
            "hierarchy": {"key_columns": ["Concession", "Type", "ATC2"], "keys": keys}}
    r = client.post(URL, headers=auth("scoring_core"), json=body)
    assert r.status_code == 201, r.text
    rows = listed(client, auth, r.json()["id"])["data"]
    levels = {r["unique_id"]: r["level"] for r in rows}
    assert levels["Total"] == "Total" and levels["C"] == "Concession" and levels["C/CP"] == "Concession/Type"
    assert levels["C/CP/A01"] == "Concession/Type/ATC2"
    assert_coherent(rows, {"Total": ["C", "G"], "C": ["C/CP", "C/SN"], "C/CP": ["C/CP/A01", "C/CP/A02"],
                           "G": ["G/CP"], "G/CP": ["G/CP/A01"]})


def test_runs_page_and_stay_apart_from_each_other_and_the_sample_city(client, auth, helpers, db):
    body = {"series": history(helpers, ["a1", "a2", "b1"]), "hierarchy": {"parents": PARENTS}, "h": 4}
    first = client.post(URL, headers=auth("analyst"), json=body).json()["id"]
    second = client.post(URL, headers=auth("analyst"), json=body).json()["id"]  # same data: a new run
    assert first != second and db.count(ForecastRun) == 2
    pages = [listed(client, auth, second, limit=5, offset=o) for o in range(0, 24, 5)]
    assert [len(p["data"]) for p in pages] == [5, 5, 5, 5, 4] and {p["count"] for p in pages} == {24}
    keys = [(r["unique_id"], r["ds"]) for p in pages for r in p["data"]]
    assert len(set(keys)) == 24 and keys == sorted(keys)
    assert client.get("/v1/forecasts", headers=auth("analyst")).json()["count"] == 0  # runs are listed by id
    assert len(db.scalars(select(Forecast).where(Forecast.run_id == first))) == 24


def test_idempotency_key_returns_the_first_run(client, auth, helpers, db):
    body = {"series": history(helpers, ["a1", "a2", "b1"]), "hierarchy": {"parents": PARENTS}, "h": 2}
    headers = {**auth("analyst"), "Idempotency-Key": "plan-2026-q1"}
    one = client.post(URL, headers=headers, json=body)
    two = client.post(URL, headers=headers, json=body)
    assert (one.status_code, two.status_code) == (201, 200) and one.json() == two.json()
    other_key = client.post(URL, headers={**auth("supervisor"), "Idempotency-Key": "plan-2026-q1"}, json=body)
    assert other_key.status_code == 201 and other_key.json()["id"] != one.json()["id"]
    assert db.count(ForecastRun) == 2
    changed = client.post(URL, headers=headers, json={**body, "h": 3})
    assert changed.status_code == 422 and changed.json()["errors"][0]["loc"][-1] == "Idempotency-Key"
    assert "another request" in changed.json()["errors"][0]["msg"] and db.count(ForecastRun) == 2


@pytest.mark.parametrize(
    ("parents", "series", "node", "words"),
    [
        ([{"unique_id": "T"}, {"unique_id": "A", "parent": "B"}, {"unique_id": "B", "parent": "A"},
          {"unique_id": "a1", "parent": "A"}], ["a1"], "A", "cycle"),
        ([{"unique_id": "T"}, {"unique_id": "a1", "parent": "X"}], ["a1"], "a1", "is not a node"),
        (PARENTS, ["a1", "a2"], "b1", "no history for bottom series"),
        (PARENTS, ["a1", "a2", "b1", "zz"], "zz", "not in the hierarchy"),
    ],
)
def test_bad_hierarchies_are_422_naming_the_node(client, auth, helpers, db, parents, series, node, words):
    body = {"series": history(helpers, series), "hierarchy": {"parents": parents}, "h": 2}
    r = client.post(URL, headers=auth("analyst"), json=body)
    assert r.status_code == 422, r.text
    err = r.json()["errors"][0]
    assert node in err["ids"] and words in err["msg"]
    assert db.count(ForecastRun) == 0 and db.count(Forecast) == 0


def test_a_sum_that_cannot_be_formed_is_422_naming_the_parent(client, auth, helpers):
    points = [p for p in history(helpers, ["a1", "a2", "b1"]) if not (p["unique_id"] == "a2" and p["ds"] == "2024-06-01")]
    r = client.post(URL, headers=auth("analyst"), json={"series": points, "hierarchy": {"parents": PARENTS}, "h": 2})
    assert r.status_code == 422
    err = r.json()["errors"][0]
    assert err["ids"][:2] == ["A", "a2"] and "cannot be formed at 2024-06-01" in err["msg"]


def test_request_shape_and_roles(client, auth, helpers):
    body = {"series": history(helpers, ["a1"]), "h": 2}
    assert client.post(URL, headers=auth("handler"), json=body).status_code == 403
    assert client.post(URL, json=body).status_code == 401
    both = {**body, "hierarchy": {"parents": PARENTS, "key_columns": ["K"], "keys": []}}
    assert client.post(URL, headers=auth("analyst"), json=both).status_code == 422
    bad_method = {**body, "reconciliation": "median"}
    assert client.post(URL, headers=auth("analyst"), json=bad_method).status_code == 422
    r = client.post(URL, headers=auth("analyst"), json=body)  # no hierarchy: forecast as posted
    assert r.status_code == 201 and r.json()["reconciliation"] == "none" and r.json()["series"] == 1
    assert client.get(f"{URL}/{r.json()['id']}", headers=auth("handler")).status_code == 403
    assert client.get(f"{URL}/999", headers=auth("analyst")).status_code == 404


def test_names_that_would_not_fit_the_columns_are_refused(client, auth, helpers):
    long = "k" * 150
    keys = [{"unique_id": "s1", "keys": {"A": long, "B": long, "C": long}}]
    body = {"series": history(helpers, ["s1"]), "h": 1,
            "hierarchy": {"key_columns": ["A", "B", "C"], "keys": keys}}
    r = client.post(URL, headers=auth("analyst"), json=body)
    assert r.status_code == 422 and "401 characters" in r.text
    uid = "u" * 401  # a run's series id may be long: the org_unit filter column keeps its first 200
    r = client.post(URL, headers=auth("analyst"), json={"series": history(helpers, [uid]), "h": 1})
    assert r.status_code == 201
    assert listed(client, auth, r.json()["id"])["data"][0]["org_unit"] == "u" * 200


def test_racing_repeats_of_one_idempotency_key_make_one_run(client, auth, helpers, db, monkeypatch):
    """The second request does not see the first's run, collides on (key, Idempotency-Key),
    and is rerun (RetryOnConflict): it then finds the run and returns it."""
    from api.services import forecast_runs as service

    body = {"series": history(helpers, ["a1", "a2", "b1"]), "hierarchy": {"parents": PARENTS}, "h": 2}
    headers = {**auth("analyst"), "Idempotency-Key": "race"}
    first = client.post(URL, headers=headers, json=body)
    real, calls = service.find, []

    def blind_once(*args):
        calls.append(1)
        return None if len(calls) == 1 else real(*args)

    monkeypatch.setattr(service, "find", blind_once)
    second = client.post(URL, headers=headers, json=body)
    assert (first.status_code, second.status_code) == (201, 200) and second.json() == first.json()
    assert len(calls) == 2 and db.count(ForecastRun) == 1 and db.count(Forecast) == 6 * 2


def test_migration_0005_keeps_sample_forecasts_and_downgrades(tmp_path):
    import sqlalchemy as sa
    from sqlalchemy.exc import IntegrityError

    from api.db import downgrade, make_engine, migrate

    url = f"sqlite:///{tmp_path / 'm.db'}"
    migrate(url, "0004")
    insert = sa.text(
        "INSERT INTO forecasts (unique_id, org_unit, channel, ds, h_step, mean, cutoff, model_version, created_at"
        "{extra}) VALUES ('D01|hotline', 'D01', 'hotline', '2026-01-01', 1, 10, '2025-12-31', 'm/1', '2026-01-01'"
        "{values})"
    )
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(str(insert).format(extra="", values="")))
        migrate(url)
        with engine.begin() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM forecasts WHERE run_id IS NULL")).scalar() == 1
            conn.execute(sa.text(
                "INSERT INTO forecast_runs (created_at, model_version, cutoff, h, reconciliation, status, series, "
                "bottom, created_by_role, created_by_key, request_hash) VALUES ('2026-01-01', 'm/1', '2025-12-31', "
                "1, 'ols', 'completed', 1, 1, 'analyst', 'k', 'x')"))
            # the same series, period, model and cutoff in a run: no collision with the sample city's row
            conn.execute(sa.text(str(insert).format(extra=", run_id", values=", 1")))
        with pytest.raises(IntegrityError), engine.begin() as conn:  # the sample city's key still holds
            conn.execute(sa.text(str(insert).format(extra="", values="")))
        with pytest.raises(IntegrityError), engine.begin() as conn:  # and a run's
            conn.execute(sa.text(str(insert).format(extra=", run_id", values=", 1")))
        downgrade(url, "0004")
        with engine.begin() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM forecasts")).scalar() == 1
            assert "forecast_runs" not in sa.inspect(conn).get_table_names()
    finally:
        engine.dispose()
