"""One request, one transaction: a failure mid-request leaves nothing behind."""

from __future__ import annotations

from api.db import Alert, AlertEvent, FeedbackMessage, Observation
from govperf_ml.contracts import DataContractError


def test_failure_after_the_upsert_rolls_everything_back(client, auth, helpers, db, monkeypatch):
    estimator = client.app.state.models["anomaly"].estimator

    def explode(*args, **kwargs):
        raise RuntimeError("scoring crashed")

    monkeypatch.setattr(estimator, "score", explode)
    batch = helpers.observations("d1", "rate", [1, 2, 90])
    r = client.post("/v1/observations", headers=auth("scoring_core"), json={"observations": batch})
    assert r.status_code == 500
    assert "scoring crashed" not in r.text
    assert db.count(Observation) == 0 and db.count(Alert) == 0

    monkeypatch.undo()  # the scoring core retries once the model works: everything is written
    r = client.post("/v1/observations", headers=auth("scoring_core"), json={"observations": batch})
    assert r.json()["inserted"] == 3 and len(r.json()["alerts"]) == 1
    assert db.count(Observation) == 3 and db.count(Alert) == 1


def test_failure_while_creating_alerts_rolls_back_observations(client, auth, helpers, db, monkeypatch):
    from api.services import alerts as alert_service

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(alert_service, "next_seq", explode)
    batch = helpers.observations("d1", "rate", [1, 2, 90])
    r = client.post("/v1/observations", headers=auth("scoring_core"), json={"observations": batch})
    assert r.status_code == 500
    assert db.count(Observation) == 0 and db.count(Alert) == 0 and db.count(AlertEvent) == 0


def test_contract_error_mid_request_is_422_and_writes_nothing(client, auth, helpers, db, monkeypatch):
    estimator = client.app.state.models["anomaly"].estimator

    def reject(*args, **kwargs):
        raise DataContractError("series: too short", field="y", ids=["d1|rate"])

    monkeypatch.setattr(estimator, "score", reject)
    batch = helpers.observations("d1", "rate", [1, 2])
    r = client.post("/v1/observations", headers=auth("scoring_core"), json={"observations": batch})
    assert r.status_code == 422 and r.json()["errors"][0]["ids"] == ["d1|rate"]
    assert db.count(Observation) == 0


def test_feedback_failure_stores_no_message(client, auth, db, monkeypatch):
    estimator = client.app.state.models["feedback"].estimator
    real = estimator.classify

    def half_broken(df):
        out = real(df)
        return out.iloc[:1]  # the model "forgets" the second message

    monkeypatch.setattr(estimator, "classify", half_broken)
    r = client.post(
        "/v1/feedback/classify",
        headers=auth("handler"),
        json={"messages": [{"message_id": "a", "text": "bus"}, {"message_id": "b", "text": "bus"}]},
    )
    assert r.status_code == 500
    assert db.count(FeedbackMessage) == 0


def test_concurrent_ingest_keeps_cursor_values_unique(client, auth, helpers):
    from concurrent.futures import ThreadPoolExecutor

    def post(i):
        batch = helpers.observations(f"u{i}", "rate", [10, 10, 60, 10, 10, 70])
        return client.post("/v1/observations", headers=auth("scoring_core"), json={"observations": batch})

    with ThreadPoolExecutor(8) as pool:
        codes = [r.status_code for r in pool.map(post, range(16))]
    assert codes == [200] * 16
    page = client.get("/v1/alerts", headers=auth("scoring_core"), params={"limit": 1000}).json()
    seqs = [a["seq"] for a in page["data"]]
    assert page["count"] == 32 and len(set(seqs)) == 32 and seqs == sorted(seqs)


def test_integrity_error_is_409_and_rolled_back(client, auth, helpers, db, monkeypatch):
    """Two requests racing on the same key: the loser gets a 409 and writes nothing."""
    from api.services import observations as obs_service

    post = lambda: client.post(  # noqa: E731
        "/v1/observations", headers=auth("scoring_core"), json={"observations": helpers.observations("d1", "r", [1, 2])}
    )
    assert post().status_code == 200
    # simulate the race: the second request does not see the rows the first one wrote
    import sqlalchemy as sa

    real_select = obs_service.select
    monkeypatch.setattr(obs_service, "select", lambda *a: real_select(*a).where(sa.false()))
    r = post()
    assert r.status_code == 409
    assert db.count(Observation) == 2
