"""Stored forecasts: the sample city's demand forecast and stored (idempotently), then read
back with GET /v1/forecasts (a two-district city keeps it quick)."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest
from sqlalchemy import select

from api.db import Forecast
from api.services import forecasts as forecast_service
from api.services import sample
from govperf_ml.contracts import DataContractError
from govperf_ml.registry import LoadedModel

URL = "/v1/admin/sample-city/forecasts"
CUTOFF = "2025-12-31"



def n_series(city) -> int:
    return city.demand["unique_id"].nunique()


def post(client, auth, h=None, role="scoring_core"):
    return client.post(URL, headers=auth(role), json=None if h is None else {"h": h})


def get(client, auth, role="analyst", **params):
    return client.get("/v1/forecasts", headers=auth(role), params=params)


def forecast_model(estimator, version="3") -> LoadedModel:
    return LoadedModel(
        capability="forecast", name="govperf-forecast", version=version, run_id="r", estimator=estimator, metrics={}
    )


class CityHigh:
    """Repeats the last value, but forecasts the city totals 10 % high: not coherent."""

    alias = "High"

    def forecast(self, df, *, h, level=(80, 95), freq=None):
        rows = []
        for uid, g in df.groupby("unique_id", sort=True):
            last = float(g["y"].iloc[-1]) * (1.1 if uid.startswith("CITY|") else 1.0)
            for ds in pd.date_range(g["ds"].max(), periods=h + 1, freq=freq or "D")[1:]:
                row = {"unique_id": uid, "ds": ds, "High": last}
                for lv in level:
                    row[f"High-lo-{lv}"], row[f"High-hi-{lv}"] = last - lv, last + lv
                rows.append(row)
        return pd.DataFrame(rows)


class Refuses:
    alias = "No"

    def forecast(self, df, *, h, level=(80, 95), freq=None):
        raise DataContractError("y: series too short: ['D01|hotline']", field="y", ids=["D01|hotline"])


# ---------------------------------------------------------------------------------------
# POST /v1/admin/sample-city/forecasts
# ---------------------------------------------------------------------------------------
def test_storing_is_idempotent_and_a_longer_horizon_adds_only_the_new_days(demo, auth, db, small_city):
    n = n_series(small_city)
    r = post(demo, auth, h=7)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["model_version"] == "govperf-forecast/3" and out["cutoff"].startswith(CUTOFF)
    assert out["h"] == 7 and out["series"] == n and out["inserted"] == 7 * n and out["existing"] == 0
    assert out["reconciliation"] == "ols"
    assert db.count(Forecast) == 7 * n
    before = {f.id: (f.mean, f.lo_80, f.created_at) for f in db.scalars(select(Forecast))}

    again = post(demo, auth, h=7).json()
    assert (again["inserted"], again["existing"]) == (0, 7 * n)
    longer = post(demo, auth, h=10).json()
    assert (longer["inserted"], longer["existing"]) == (3 * n, 7 * n)
    rows = db.scalars(select(Forecast))
    assert len(rows) == 10 * n
    assert {f.id: (f.mean, f.lo_80, f.created_at) for f in rows if f.id in before} == before  # nothing replaced

    one = sorted((f for f in rows if f.unique_id == "D01|hotline"), key=lambda f: f.ds)
    assert [f.h_step for f in one] == list(range(1, 11))
    assert one[0].ds == datetime(2026, 1, 1) and one[-1].ds == datetime(2026, 1, 10)
    assert {f.cutoff for f in rows} == {datetime(2025, 12, 31)}
    assert (one[0].org_unit, one[0].channel) == ("D01", "hotline")
    last = float(small_city.demand.query("unique_id == 'D01|hotline'")["y"].iloc[-1])
    assert one[0].mean == pytest.approx(last) and one[0].lo_95 == pytest.approx(last - 9.5)  # FakeForecast


def test_districts_are_reconciled_with_their_city_totals(make_client, auth, monkeypatch, small_city, helpers):
    monkeypatch.setattr(sample, "sample_city", lambda *args, **kwargs: small_city)
    models = helpers.fake_models()
    models["forecast"] = forecast_model(CityHigh())
    client = make_client(models=models)
    out = post(client, auth, h=3).json()
    assert out["reconciliation"] == "ols" and out["inserted"] == 3 * n_series(small_city)
    data = get(client, auth, limit=1000).json()["data"]
    frame = pd.DataFrame(
        {
            "org_unit": d["org_unit"],
            "channel": d["channel"],
            "ds": d["ds"],
            "mean": d["mean"],
            "width": d["intervals"]["95"]["hi"] - d["intervals"]["95"]["lo"],
        }
        for d in data
    )
    districts = frame[frame["org_unit"] != "CITY"].groupby(["channel", "ds"])["mean"].sum()
    city = frame[frame["org_unit"] == "CITY"].set_index(["channel", "ds"])["mean"]
    pd.testing.assert_series_equal(districts.sort_index(), city.sort_index(), check_names=False)
    last = small_city.demand.groupby("unique_id")["y"].last()
    assert city.loc[("hotline", data[0]["ds"])] < 1.1 * last["CITY|hotline"]  # pulled down towards the districts
    assert frame["width"].to_numpy() == pytest.approx(190.0)  # intervals keep their width


def test_without_the_reconcile_function_the_forecasts_are_stored_unreconciled(demo, auth, db, monkeypatch):
    monkeypatch.setattr(sample, "reconciler", lambda: None)
    out = post(demo, auth, h=2).json()
    assert out["reconciliation"] is None and out["inserted"] == db.count(Forecast) > 0


def test_h_is_checked_and_the_body_is_optional(demo, auth, db, small_city):
    for bad in (0, 367):
        r = post(demo, auth, h=bad)
        assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "h"]
    assert db.count(Forecast) == 0
    r = demo.post(URL, headers=auth("scoring_core"))
    assert r.status_code == 200 and r.json()["h"] == 28
    assert db.count(Forecast) == 28 * n_series(small_city)


def test_a_contract_error_is_a_422_and_stores_nothing(make_client, auth, monkeypatch, small_city, helpers):
    monkeypatch.setattr(sample, "sample_city", lambda *args, **kwargs: small_city)
    models = helpers.fake_models()
    models["forecast"] = forecast_model(Refuses())
    client = make_client(models=models)
    r = post(client, auth, h=3)
    assert r.status_code == 422 and r.json()["errors"][0]["ids"] == ["D01|hotline"]
    assert get(client, auth).json()["count"] == 0


def test_without_a_forecast_model_the_admin_endpoint_is_503_but_get_serves_what_is_stored(
    make_client, auth, monkeypatch, small_city, helpers
):
    monkeypatch.setattr(sample, "sample_city", lambda *args, **kwargs: small_city)
    assert post(make_client(), auth, h=2).status_code == 200
    models = helpers.fake_models()
    del models["forecast"]
    client = make_client(models=models)
    r = post(client, auth, h=2)
    assert r.status_code == 503 and "forecast" in r.json()["detail"]
    assert post(client, auth, h=2, role="analyst").status_code == 403  # the role is checked first
    r = get(client, auth)
    assert r.status_code == 200 and r.json()["count"] == 2 * n_series(small_city)


def test_the_sample_city_loader_stores_forecasts_too(demo, auth, make_client, helpers, small_city):
    out = demo.post("/v1/admin/sample-city", headers=auth("scoring_core"), json={"months": 2}).json()
    n = n_series(small_city)
    assert out["forecasts"]["h"] == 28 and out["forecasts"]["inserted"] == 28 * n
    assert out["forecasts"]["model_version"] == "govperf-forecast/3" and out["models_missing"] == []
    again = demo.post("/v1/admin/sample-city", headers=auth("scoring_core"), json={"months": 2}).json()
    assert (again["forecasts"]["inserted"], again["forecasts"]["existing"]) == (0, 28 * n)
    assert get(demo, auth).json()["count"] == 28 * n

    models = helpers.fake_models()
    del models["forecast"]
    quiet = make_client(models=models)
    out = quiet.post("/v1/admin/sample-city", headers=auth("scoring_core"), json={"months": 2}).json()
    assert out["models_missing"] == ["forecast"] and out["forecasts"] is None


# ---------------------------------------------------------------------------------------
# GET /v1/forecasts
# ---------------------------------------------------------------------------------------
def test_get_filters_and_pages(demo, auth, small_city):
    assert post(demo, auth, h=5).status_code == 200
    n = n_series(small_city)
    everything = get(demo, auth, limit=1000).json()
    assert everything["count"] == 5 * n == len(everything["data"])
    keys = [(d["unique_id"], d["ds"]) for d in everything["data"]]
    assert keys == sorted(keys)  # by series, then period
    item = everything["data"][0]
    assert item["unique_id"] == "CITY|hotline" and item["h_step"] == 1 and item["cutoff"].startswith(CUTOFF)
    assert set(item["intervals"]) == {"80", "95"} and set(item["intervals"]["80"]) == {"lo", "hi"}
    assert item["intervals"]["95"]["lo"] <= item["intervals"]["80"]["lo"] <= item["mean"]
    assert item["model_version"] == "govperf-forecast/3"

    r = demo.get(
        "/v1/forecasts", headers=auth("analyst"), params=[("unique_id", "D01|hotline"), ("unique_id", "D02|hotline")]
    ).json()
    assert r["count"] == 10 and {d["unique_id"] for d in r["data"]} == {"D01|hotline", "D02|hotline"}
    r = get(demo, auth, org_unit="D02").json()
    assert r["count"] == 10 and {d["unique_id"] for d in r["data"]} == {"D02|hotline", "D02|service_hall"}
    r = get(demo, auth, channel="service_hall").json()
    assert r["count"] == 15 and {d["channel"] for d in r["data"]} == {"service_hall"}
    r = get(demo, auth, org_unit="CITY", channel="hotline").json()
    assert r["count"] == 5 and {d["unique_id"] for d in r["data"]} == {"CITY|hotline"}
    r = get(demo, auth, unique_id="D01|hotline", **{"from": "2026-01-02", "to": "2026-01-04"}).json()
    assert [d["ds"][:10] for d in r["data"]] == ["2026-01-02", "2026-01-03", "2026-01-04"]
    assert get(demo, auth, org_unit="D99").json() == {"data": [], "count": 0}

    pages = [get(demo, auth, limit=4, offset=o).json() for o in range(0, 5 * n, 4)]
    assert all(p["count"] == 5 * n for p in pages)
    assert [(d["unique_id"], d["ds"]) for p in pages for d in p["data"]] == keys
    bad = get(demo, auth, cutoff="oldest")
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == ["query", "cutoff"]
    assert get(demo, auth, limit=0).status_code == 422


def _store(session, uid, cutoff, version, values, start=None):
    start = pd.Timestamp(start or cutoff) + pd.Timedelta(days=1)
    frame = pd.DataFrame(
        {"unique_id": uid, "ds": pd.date_range(start, periods=len(values), freq="D"), "F": values, "F-lo-80": values}
    )
    return forecast_service.store(session, frame, alias="F", cutoffs={uid: pd.Timestamp(cutoff)}, model_version=version)


def test_latest_cutoff_by_default_and_every_run_on_request(client, auth):
    with client.app.state.session_factory() as session:
        _store(session, "D01|hotline", "2025-12-31", "m/1", [1.0, 1.0, 1.0])
        _store(session, "D01|hotline", "2026-01-02", "m/1", [2.0, 2.0])  # a later cutoff
        _store(session, "D02|hotline", "2025-12-31", "m/1", [5.0])  # only an older run: still listed
        session.commit()
        _store(session, "D01|hotline", "2026-01-02", "m/2", [3.0, 3.0])  # same cutoff, stored later
        session.commit()

    latest = get(client, auth).json()
    assert [(d["unique_id"], d["ds"][:10], d["mean"], d["model_version"]) for d in latest["data"]] == [
        ("D01|hotline", "2026-01-03", 3.0, "m/2"),
        ("D01|hotline", "2026-01-04", 3.0, "m/2"),
        ("D02|hotline", "2026-01-01", 5.0, "m/1"),
    ]
    assert latest["count"] == 3 and latest["data"][0]["intervals"]["80"] == {"lo": 3.0, "hi": None}
    assert latest["data"][0]["intervals"]["95"] == {"lo": None, "hi": None}
    one = get(client, auth, model_version="m/1", unique_id="D01|hotline").json()
    assert {(d["cutoff"][:10], d["mean"]) for d in one["data"]} == {("2026-01-02", 2.0)}
    # the latest run is chosen before the period range applies
    assert get(client, auth, unique_id="D01|hotline", to="2026-01-01").json()["count"] == 0
    every = get(client, auth, cutoff="all").json()
    assert every["count"] == 8
    d01 = [(d["ds"][:10], d["cutoff"][:10], d["model_version"]) for d in every["data"] if d["org_unit"] == "D01"]
    assert d01[:3] == [  # by period, the latest cutoff first
        ("2026-01-01", "2025-12-31", "m/1"),
        ("2026-01-02", "2025-12-31", "m/1"),
        ("2026-01-03", "2026-01-02", "m/1"),
    ]
    assert len(d01) == 7


def test_storing_the_same_run_twice_in_the_service_adds_nothing(client):
    with client.app.state.session_factory() as session:
        first = _store(session, "D01|hotline", "2025-12-31", "m/1", [1.0, 2.0])
        second = _store(session, "D01|hotline", "2025-12-31", "m/1", [9.0, 9.0, 9.0])
        session.commit()
        assert (first.inserted, first.existing) == (2, 0) and (second.inserted, second.existing) == (1, 2)
        means = session.scalars(select(Forecast.mean).order_by(Forecast.ds)).all()
        assert means == [1.0, 2.0, 9.0]
        with pytest.raises(DataContractError, match="D02"):
            forecast_service.store(
                session,
                pd.DataFrame({"unique_id": ["D02|x"], "ds": [pd.Timestamp("2026-01-01")], "F": [1.0]}),
                alias="F",
                cutoffs={},
                model_version="m/1",
            )


# ---------------------------------------------------------------------------------------
# Authentication and roles
# ---------------------------------------------------------------------------------------
def test_roles(demo, auth):
    assert demo.get("/v1/forecasts").status_code == 401
    assert demo.get("/v1/forecasts", headers={"X-API-Key": "nope"}).status_code == 401
    assert demo.post(URL, json={"h": 2}).status_code == 401
    assert get(demo, auth, role="handler").status_code == 403
    for role in ("scoring_core", "analyst", "supervisor"):
        assert get(demo, auth, role=role).status_code == 200
    for role in ("analyst", "supervisor", "handler"):
        assert post(demo, auth, h=2, role=role).status_code == 403
    assert get(demo, auth).json()["count"] == 0
