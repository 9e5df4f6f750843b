"""Loading the sample city for demos, then posting the next month (a two-district city
keeps it quick; the endpoint loads the full one)."""

from __future__ import annotations

from sqlalchemy import select

from api.db import Alert, Observation, Target
from api.services import sample



def load(client, auth, months=6, role="scoring_core"):
    return client.post("/v1/admin/sample-city", headers=auth(role), json={"months": months})


def red_targets(client, auth) -> set[str]:
    r = client.get("/v1/targets", headers=auth("analyst"), params={"status": "red", "limit": 1000})
    return {t["target_id"] for t in r.json()["data"]}


def test_load_then_the_next_month_raises_target_alerts(demo, auth, db, small_city):
    r = load(demo, auth)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["through"].startswith("2025-06-01") and out["next_period"].startswith("2025-07-01")
    n_obs = int((small_city.series["ds"] <= "2025-06-01").sum())
    n_targets = len(small_city.targets)
    assert out["observations"] == {"inserted": n_obs, "updated": 0, "unchanged": 0}
    assert out["targets"] == {"inserted": n_targets, "updated": 0, "unchanged": 0}
    assert out["targets_assessed"] == n_targets and out["models_missing"] == []
    assert sum(out["target_status"].values()) == n_targets and set(out["target_status"]) <= {"green", "amber", "red"}
    # as if the service had been running: every open red target has raised its alert
    tagged = sorted(d for a in out["alerts"] for d in a["detectors"])
    open_red = demo.get(
        "/v1/targets",
        headers=auth("analyst"),
        params={"status": "red", "deadline_from": "2025-06-01", "limit": 1000},
    ).json()["data"]
    assert open_red and tagged == sorted(f"target:{t['target_id']}" for t in open_red)
    assert len(out["alerts"]) == out["alerts_by_kind"]["target_risk"] <= out["target_status"]["red"]
    assert out["alerts_cursor"] == db.scalar(select(Alert.seq).order_by(Alert.seq.desc()).limit(1))
    assert db.count(Observation) == n_obs and db.count(Target) == n_targets
    stored = db.scalars(select(Target).where(Target.target_id == small_city.targets["target_id"].iloc[0]))[0]
    assert "|" not in stored.org_unit and stored.unique_id == f"{stored.org_unit}|{stored.indicator}"

    again = load(demo, auth).json()  # idempotent
    assert again["observations"] == {"inserted": 0, "updated": 0, "unchanged": n_obs}
    assert again["targets"] == {"inserted": 0, "updated": 0, "unchanged": n_targets}
    assert again["targets_assessed"] == 0 and again["alerts_created"] == 0
    assert again["alerts_cursor"] == out["alerts_cursor"]

    before = red_targets(demo, auth)
    batch = demo.get(
        "/v1/admin/sample-city/observations", headers=auth("scoring_core"), params={"ds": out["next_period"][:10]}
    )
    assert batch.status_code == 200
    observations = batch.json()["observations"]
    assert len(observations) == small_city.series["unique_id"].nunique()
    assert {o["ds"][:10] for o in observations} == {"2025-07-01"}
    posted = demo.post("/v1/observations", headers=auth("scoring_core"), json=batch.json())
    assert posted.status_code == 200, posted.text
    new_red = red_targets(demo, auth) - before
    raised = [a for a in posted.json()["alerts"] if a["kind"] == "target_risk"]
    assert new_red  # seed 0 has targets turning red in July 2025
    assert {d for a in raised for d in a["detectors"]} == {f"target:{t}" for t in new_red}
    polled = demo.get(
        "/v1/alerts",
        headers=auth("supervisor"),
        params={"kind": "target_risk", "after_seq": out["alerts_cursor"], "limit": 1000},
    ).json()
    assert sorted(a["id"] for a in polled["data"]) == sorted(a["id"] for a in raised)


def test_load_needs_the_scoring_core_role_and_a_valid_month(demo, auth, db):
    assert load(demo, auth, role="supervisor").status_code == 403
    assert load(demo, auth, role="analyst").status_code == 403
    assert (
        demo.get(
            "/v1/admin/sample-city/observations", headers=auth("supervisor"), params={"ds": "2025-07-01"}
        ).status_code
        == 403
    )
    r = load(demo, auth, months=13)
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "months"]
    assert db.count(Observation) == 0
    r = demo.post("/v1/admin/sample-city", headers=auth("scoring_core"))  # no body: through June
    assert r.status_code == 200 and r.json()["through"].startswith("2025-06-01")


def test_load_without_a_targets_model_stores_the_targets_unassessed(
    make_client, auth, helpers, monkeypatch, small_city
):
    monkeypatch.setattr(sample, "sample_city", lambda *args, **kwargs: small_city)
    models = helpers.fake_models()
    del models["targets"]
    client = make_client(models=models)
    out = load(client, auth, months=3).json()
    assert out["models_missing"] == ["targets"] and out["targets_assessed"] == 0
    assert out["target_status"] == {"unassessed": len(small_city.targets)}
    assert out["alerts"] == [] and "target_risk" not in out["alerts_by_kind"]


def test_a_quiet_baseline_raises_no_alerts(client, monkeypatch, small_city, helpers):
    monkeypatch.setattr(sample, "sample_city", lambda *args, **kwargs: small_city)
    with client.app.state.session_factory() as session:
        loaded = sample.load_sample_city(session, helpers.fake_models(), months=2, raise_alerts=False)
        session.commit()
        assert loaded.alerts == [] and loaded.assessed == len(small_city.targets)
        assert session.scalar(select(Alert.id).limit(1)) is None
        assert loaded.through.month == 2
