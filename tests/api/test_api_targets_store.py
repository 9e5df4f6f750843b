"""Stored targets: upsert, listing, re-assessment on ingest and target_risk alerts.

The fake targets model (conftest ``FakeTargets``) projects the last value and rates a target
red (p_miss 0.8) when that value is on the wrong side of the target, green otherwise.
"""

from __future__ import annotations

from urllib.parse import quote

import pandas as pd
import pytest
from sqlalchemy import select

from api.db import Alert, Observation, Target
from govperf_ml.contracts import DataContractError

SERIES = "d1|rate"


def tgt(**kw) -> dict:
    return {
        "unique_id": SERIES,
        "target": 50,
        "deadline": "2024-12-31",
        "direction": "higher",
        "aggregation": "last",
    } | kw


def put(client, auth, targets, role="supervisor"):
    return client.put("/v1/targets", headers=auth(role), json={"targets": targets})


def ingest(client, auth, values, start, unit="d1", indicator="rate"):
    batch = [
        {"org_unit": unit, "indicator": indicator, "ds": d.strftime("%Y-%m-%d"), "value": v}
        for d, v in zip(pd.date_range(start, periods=len(values), freq="MS"), values, strict=True)
    ]
    r = client.post("/v1/observations", headers=auth("scoring_core"), json={"observations": batch})
    assert r.status_code == 200, r.text
    return r.json()


def target_alerts(body) -> list[dict]:
    return [a for a in body["alerts"] if a["kind"] == "target_risk"]


# ---------------------------------------------------------------------------------------
# PUT /v1/targets
# ---------------------------------------------------------------------------------------
def test_upsert_is_idempotent_and_assesses_right_away(client, auth, db):
    ingest(client, auth, [60, 60, 60], "2024-01-01")
    batch = [
        tgt(target_id="t1"),
        {
            "org_unit": "d2",
            "indicator": "rate",
            "target": 5,
            "deadline": "2024-12-31",
            "direction": "lower",
            "aggregation": "mean",
            "start": "2024-01-01",
        },
    ]
    r = put(client, auth, batch)
    assert r.status_code == 200, r.text
    out = r.json()
    assert (out["inserted"], out["updated"], out["unchanged"], out["assessed"]) == (2, 0, 0, 1)
    assert out["model_version"] == "govperf-targets/3" and out["alerts"] == []
    assert out["unassessed"] == [{"target_id": "d2|rate@2024-12-31", "reason": "no observations of the series yet"}]
    t1, t2 = out["targets"]
    assert t1["target_id"] == "t1" and t1["org_unit"] == "d1" and t1["indicator"] == "rate"
    assert t1["start"] == "2023-12-31"  # the library's default: a year before the deadline
    assert t1["risk"]["status"] == "green" and t1["risk"]["p_miss"] == 0.1 and t1["risk"]["projected"] == 60
    assert t1["risk"]["as_of"].startswith("2024-03-01") and t1["risk"]["model_version"] == "govperf-targets/3"
    assert t1["risk"]["required_rate"] is None  # NaN from the model is stored as null
    assert t2["unique_id"] == "d2|rate" and t2["risk"] is None
    assessed_at = t1["risk"]["assessed_at"]

    again = put(client, auth, batch).json()
    assert (again["inserted"], again["updated"], again["unchanged"], again["assessed"]) == (0, 0, 2, 0)
    assert again["targets"][0]["risk"]["assessed_at"] == assessed_at  # not re-assessed
    assert db.count(Target) == 2

    changed = put(client, auth, [tgt(target_id="t1", target=70)]).json()
    assert (changed["updated"], changed["assessed"]) == (1, 1)
    assert changed["targets"][0]["risk"]["status"] == "red"
    (alert,) = changed["alerts"]  # a changed target assessed red is a move into red
    assert alert["kind"] == "target_risk" and alert["detectors"] == ["target:t1"]
    assert db.count(Target) == 2


def test_a_target_red_at_its_first_assessment_raises_one_alert(client, auth, db):
    ingest(client, auth, [60, 60, 40], "2024-01-01")
    r = put(client, auth, [tgt()])
    (alert,) = r.json()["alerts"]
    assert alert["unique_id"] == SERIES and alert["org_unit"] == "d1" and alert["indicator"] == "rate"
    assert alert["ds"].startswith("2024-03-01")  # the period the assessment is as of
    assert alert["severity"] == "high" and alert["score"] == 0.8
    assert (alert["expected"], alert["lower"], alert["upper"]) == (40, 39, 41)
    assert alert["detectors"] == ["target:d1|rate@2024-12-31"]
    assert "d1|rate@2024-12-31" in alert["reason_en"] and "behind the planned path" in alert["reason_en"]
    assert alert["reason_zh"].endswith("进度落后") and alert["model_version"] == "govperf-targets/3"
    assert alert["status"] == "open"
    assert put(client, auth, [tgt()]).json()["alerts"] == []
    assert db.count(Alert) == 2  # with the anomaly alert for the drop to 40


def test_editing_a_red_target_that_stays_red_raises_no_second_alert(client, auth, db):
    ingest(client, auth, [60, 60, 40], "2024-01-01")
    first = put(client, auth, [tgt(target=50)]).json()
    assert len(first["alerts"]) == 1
    edited = put(client, auth, [tgt(target=45, start="2024-02-01")]).json()
    assert edited["updated"] == 1 and edited["targets"][0]["risk"]["status"] == "red" and edited["alerts"] == []
    assert db.count(Alert) == 2  # the first target_risk alert and the anomaly alert
    assert edited["targets"][0]["updated_at"] > first["targets"][0]["updated_at"]

    # a re-assessment renews the risk, not the definition's updated_at
    after = target_alerts(ingest(client, auth, [70], "2024-04-01"))
    assert after == []
    stored = client.get("/v1/targets", headers=auth("analyst")).json()["data"][0]
    assert stored["risk"]["status"] == "green" and stored["updated_at"] == edited["targets"][0]["updated_at"]
    assert stored["risk"]["assessed_at"] > stored["updated_at"]


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"start": "2025-03-01"}, ["body", "start"]),  # start after the deadline: the library's check
        ({"unique_id": "no-separator"}, ["body", "targets", 0]),
        ({"aggregation": "median"}, ["body", "targets", 0, "aggregation"]),
        ({"target": None}, ["body", "targets", 0, "target"]),
    ],
)
def test_invalid_targets_are_422_and_store_nothing(client, auth, db, change, loc):
    r = put(client, auth, [tgt(**change)])
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == loc
    assert db.count(Target) == 0


def test_series_named_twice_or_inconsistently_is_422(client, auth, db):
    r = put(client, auth, [tgt(org_unit="d9", indicator="rate")])
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "targets", 0]
    r = put(client, auth, [tgt(target_id="same"), tgt(target_id="same", target=3)])
    assert r.status_code == 422
    (err,) = r.json()["errors"]
    assert err["loc"] == ["body", "target_id"] and err["ids"] == ["same"]
    assert db.count(Target) == 0


def test_roles(client, auth):
    assert put(client, auth, [tgt()], role="analyst").status_code == 403
    assert put(client, auth, [tgt()], role="scoring_core").status_code == 200
    assert client.get("/v1/targets", headers=auth("analyst")).status_code == 200
    assert client.get("/v1/targets", headers=auth("handler")).status_code == 403
    assert client.get("/v1/targets").status_code == 401


# ---------------------------------------------------------------------------------------
# GET /v1/targets
# ---------------------------------------------------------------------------------------
@pytest.fixture
def stored(client, auth):
    ingest(client, auth, [60, 60], "2024-01-01", unit="d1", indicator="rate")
    ingest(client, auth, [60, 60], "2024-01-01", unit="d2", indicator="rate")
    ingest(client, auth, [5, 5], "2024-01-01", unit="d1", indicator="wait")
    batch = [
        tgt(target_id="a-red", unique_id="d1|rate", target=80),
        tgt(target_id="b-green", unique_id="d2|rate", target=50),
        tgt(target_id="c-red", unique_id="d1|wait", target=3, direction="lower"),
        tgt(target_id="d-none", unique_id="d3|rate"),
    ]
    assert put(client, auth, batch).status_code == 200


def ids(r) -> list[str]:
    assert r.status_code == 200, r.text
    return [t["target_id"] for t in r.json()["data"]]


def test_list_filters_and_paging(client, auth, stored):
    get = lambda **params: client.get("/v1/targets", headers=auth("analyst"), params=params)  # noqa: E731
    assert ids(get()) == ["a-red", "b-green", "c-red", "d-none"]
    assert get().json()["count"] == 4
    assert ids(get(status="red")) == ["a-red", "c-red"]
    assert ids(get(status="green")) == ["b-green"]
    assert ids(get(status="unassessed")) == ["d-none"]
    assert ids(get(org_unit="d1")) == ["a-red", "c-red"]
    assert ids(get(indicator="rate", org_unit="d1")) == ["a-red"]
    assert ids(get(unique_id="d2|rate")) == ["b-green"]
    page = get(limit=2, offset=1)
    assert ids(page) == ["b-green", "c-red"] and page.json()["count"] == 4
    assert ids(get(status="red", limit=1)) == ["a-red"] and get(status="red", limit=1).json()["count"] == 2
    assert ids(get(sort="p_miss"))[-1] == "d-none" and set(ids(get(sort="p_miss"))[:2]) == {"a-red", "c-red"}
    assert ids(get(deadline_from="2025-01-01")) == []
    assert get(status="purple").status_code == 422
    assert get(limit=0).status_code == 422


def test_get_one(client, auth, stored):
    r = client.get(f"/v1/targets/{quote('a-red')}", headers=auth("supervisor"))
    assert r.status_code == 200 and r.json()["risk"]["status"] == "red"
    r = client.get("/v1/targets/nope", headers=auth("supervisor"))
    assert r.status_code == 404


def test_get_one_with_separators_in_the_id(client, auth):
    ingest(client, auth, [60], "2024-01-01")
    put(client, auth, [tgt()])
    r = client.get(f"/v1/targets/{quote('d1|rate@2024-12-31', safe='')}", headers=auth("analyst"))
    assert r.status_code == 200 and r.json()["target_id"] == "d1|rate@2024-12-31"


def test_the_stateless_risk_endpoint_is_unchanged(client, auth, helpers, db):
    body = {"series": helpers.monthly("a", [1, 2, 3]), "targets": [tgt(unique_id="a", target=5)]}
    r = client.post("/v1/targets/risk", headers=auth("analyst"), json=body)
    assert r.status_code == 200 and r.json()["assessments"][0]["status"] == "red"
    assert db.count(Target) == 0 and db.count(Alert) == 0


# ---------------------------------------------------------------------------------------
# Re-assessment on ingest
# ---------------------------------------------------------------------------------------
def test_ingest_moving_a_target_into_red_raises_exactly_one_alert(client, auth, db):
    ingest(client, auth, [60, 60], "2024-01-01")
    assert put(client, auth, [tgt()]).json()["targets"][0]["risk"]["status"] == "green"

    body = ingest(client, auth, [40], "2024-03-01")
    assert body["targets_reassessed"] == 1 and body["targets_model_version"] == "govperf-targets/3"
    (alert,) = target_alerts(body)
    assert alert["ds"].startswith("2024-03-01") and alert["detectors"] == ["target:d1|rate@2024-12-31"]
    assert alert["severity"] == "high" and alert["expected"] == 40
    stored = client.get("/v1/targets/d1%7Crate%402024-12-31", headers=auth("analyst")).json()
    assert stored["risk"]["status"] == "red" and stored["risk"]["as_of"].startswith("2024-03-01")

    # the same batch again: nothing changed, no re-assessment, no alert
    again = ingest(client, auth, [40], "2024-03-01")
    assert again["targets_reassessed"] == 0 and again["alerts"] == []
    # still red next month: no new alert
    assert target_alerts(ingest(client, auth, [41], "2024-04-01")) == []
    # recovery, then a new crossing: a new alert
    recovered = ingest(client, auth, [70], "2024-05-01")
    assert target_alerts(recovered) == []
    assert client.get("/v1/targets", headers=auth("analyst"), params={"status": "green"}).json()["count"] == 1
    (second,) = target_alerts(ingest(client, auth, [30], "2024-06-01"))
    assert second["ds"].startswith("2024-06-01") and second["id"] != alert["id"]
    rows = db.scalars(select(Alert).where(Alert.kind == "target_risk").order_by(Alert.seq))
    assert [(a.ds.month, a.status) for a in rows] == [(3, "open"), (6, "open")]
    listed = client.get("/v1/alerts", headers=auth("analyst"), params={"kind": "target_risk"}).json()
    assert listed["count"] == 2


def test_ingest_only_touches_targets_of_the_changed_series(client, auth):
    ingest(client, auth, [60, 60], "2024-01-01", unit="d1")
    ingest(client, auth, [60, 60], "2024-01-01", unit="d2")
    put(
        client,
        auth,
        [
            tgt(unique_id="d1|rate"),
            tgt(unique_id="d2|rate"),
            tgt(unique_id="d1|rate", target_id="old", deadline="2023-12-31", start="2023-01-01"),
        ],
    )
    body = ingest(client, auth, [10], "2024-03-01", unit="d2")
    assert body["targets_reassessed"] == 1  # d2's target only
    (alert,) = target_alerts(body)
    assert alert["unique_id"] == "d2|rate"
    # a value after a target's deadline cannot change its outcome: the 2023 target is left alone
    body = ingest(client, auth, [10], "2024-03-01", unit="d1")
    assert body["targets_reassessed"] == 1 and target_alerts(body)[0]["detectors"] == ["target:d1|rate@2024-12-31"]


def test_two_targets_of_one_series_crossing_together_share_one_alert(client, auth):
    ingest(client, auth, [60, 60], "2024-01-01")
    put(client, auth, [tgt(target_id="x", target=50), tgt(target_id="y", target=55, aggregation="mean")])
    (alert,) = target_alerts(ingest(client, auth, [40], "2024-03-01"))
    assert alert["detectors"] == ["target:x", "target:y"]


def test_model_output_as_of_and_current_are_used(client, auth, monkeypatch):
    estimator = client.app.state.models["targets"].estimator
    real = estimator.assess

    def with_extras(history, targets, *, as_of=None):
        out = real(history, targets, as_of=as_of)
        return out.assign(as_of=pd.Timestamp("2024-02-01"), current=47.5, status=out["status"].str.upper())

    monkeypatch.setattr(estimator, "assess", with_extras)
    ingest(client, auth, [60, 60, 40], "2024-01-01")
    (alert,) = put(client, auth, [tgt()]).json()["alerts"]
    assert alert["ds"].startswith("2024-02-01") and alert["observed"] == 47.5
    risk = client.get("/v1/targets", headers=auth("analyst")).json()["data"][0]["risk"]
    assert risk["current"] == 47.5 and risk["status"] == "red"


def test_a_series_the_model_rejects_does_not_block_the_others(client, auth, monkeypatch):
    estimator = client.app.state.models["targets"].estimator
    real = estimator.assess

    def picky(history, targets, *, as_of=None):
        if (targets["unique_id"] == "bad|rate").any():
            raise DataContractError("targets: series 'bad|rate' is too short", field="unique_id", ids=["bad|rate"])
        return real(history, targets, as_of=as_of)

    monkeypatch.setattr(estimator, "assess", picky)
    ingest(client, auth, [60, 60], "2024-01-01", unit="d1")
    ingest(client, auth, [60, 60], "2024-01-01", unit="bad")
    out = put(client, auth, [tgt(unique_id="d1|rate"), tgt(unique_id="bad|rate")]).json()
    assert out["assessed"] == 1
    assert out["unassessed"] == [
        {"target_id": "bad|rate@2024-12-31", "reason": "targets: series 'bad|rate' is too short"}
    ]
    batch = [{"org_unit": u, "indicator": "rate", "ds": "2024-03-01", "value": 10} for u in ("d1", "bad")]
    r = client.post("/v1/observations", headers=auth("scoring_core"), json={"observations": batch})
    assert r.status_code == 200
    (alert,) = target_alerts(r.json())
    assert alert["unique_id"] == "d1|rate"


def test_a_crashing_targets_model_rolls_the_ingest_back(client, auth, db, monkeypatch):
    ingest(client, auth, [60, 60], "2024-01-01")
    put(client, auth, [tgt()])
    estimator = client.app.state.models["targets"].estimator

    def explode(*args, **kwargs):
        raise RuntimeError("targets model crashed")

    monkeypatch.setattr(estimator, "assess", explode)
    batch = [{"org_unit": "d1", "indicator": "rate", "ds": "2024-03-01", "value": 10}]
    r = client.post("/v1/observations", headers=auth("scoring_core"), json={"observations": batch})
    assert r.status_code == 500
    assert db.count(Observation) == 2 and db.count(Alert) == 0
    assert db.scalar(select(Target.risk_status)) == "green"


def test_without_a_targets_model_put_is_503_but_ingest_works(make_client, auth, helpers, caplog):
    full = make_client()
    ingest(full, auth, [60, 60], "2024-01-01")
    assert put(full, auth, [tgt()]).status_code == 200

    models = helpers.fake_models()
    del models["targets"]
    client = make_client(models=models)  # the same database, without the targets model
    r = put(client, auth, [tgt(target=70)])
    assert r.status_code == 503 and "targets" in r.json()["detail"]
    with caplog.at_level("WARNING", logger="govperf.api"):
        body = ingest(client, auth, [10], "2024-03-01")
    assert body["inserted"] == 1 and body["targets_reassessed"] == 0 and body["targets_model_version"] is None
    assert target_alerts(body) == []
    assert any("targets model is not loaded" in m for m in caplog.messages)
    stored = client.get("/v1/targets", headers=auth("analyst")).json()["data"][0]
    assert stored["target"] == 50 and stored["risk"]["status"] == "green"  # the last assessment is kept
    assert client.get("/v1/targets", headers=auth("analyst")).status_code == 200  # reading needs no model
