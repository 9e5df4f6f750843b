"""GET /metrics: Prometheus text, route templates as labels, alerts per kind, access."""

from __future__ import annotations

from types import SimpleNamespace

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from api.metrics import count_alerts_created, register_queue_depth


def scrape(client, headers=None) -> dict:
    """(sample name, sorted label pairs) -> value."""
    r = client.get("/metrics", headers=headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(r.text)
        for s in family.samples
    }


def value(samples: dict, name: str, **labels) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


def test_metrics_need_a_key_of_any_role_unless_public(client, auth, api_keys, make_client, settings):
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"X-API-Key": "not-a-key-but-long-enough"}).status_code == 401
    scrape(client, auth("handler"))
    scrape(client, {"Authorization": f"Bearer {api_keys['analyst']}"})
    public = make_client(app_settings=settings.model_copy(update={"metrics_public": True}))
    scrape(public)


def test_requests_are_labelled_by_route_template_never_by_raw_path(client, auth):
    for alert_id in (987654321, 123456789):
        assert client.get(f"/v1/alerts/{alert_id}", headers=auth("supervisor")).status_code == 404
    client.get("/v1/alerts", headers=auth("supervisor"), params={"org_unit": "secret-unit"})
    client.get("/no/such/path/555", params={"q": "personal"})
    r = client.get("/metrics", headers=auth("supervisor"))
    for raw in ("987654321", "123456789", "secret-unit", "personal", "/no/such"):
        assert raw not in r.text
    samples = scrape(client, auth("supervisor"))
    one = {"handler": "/v1/alerts/{alert_id}", "method": "GET", "status": "404"}
    assert value(samples, "http_requests_total", **one) == 2
    assert value(samples, "http_request_duration_seconds_count", **one) == 2
    assert value(samples, "http_request_duration_seconds_bucket", **one, le="60.0") == 2
    assert value(samples, "http_requests_total", handler="none", method="GET", status="404") == 1


def test_alerts_created_are_counted_by_kind(client, auth, helpers):
    before = scrape(client, auth("scoring_core"))
    assert value(before, "govperf_alerts_created_total", kind="performance_anomaly") == 0
    batch = helpers.observations("d1", "complaints", [10, 10, 60, 10, 10, 70], direction="lower")
    r = client.post("/v1/observations", headers=auth("scoring_core"), json={"observations": batch})
    assert r.status_code == 200 and len(r.json()["alerts"]) == 2
    after = scrape(client, auth("scoring_core"))
    assert value(after, "govperf_alerts_created_total", kind="performance_anomaly") == 2
    assert value(after, "govperf_alerts_created_total", kind="target_risk") == 0


def test_alerts_are_counted_only_when_their_transaction_commits(client, auth):
    factory = client.app.state.session_factory
    with factory() as session:
        session.execute(text("SELECT 1"))
        count_alerts_created(session, [SimpleNamespace(kind="target_risk")] * 3)
        session.rollback()
        session.execute(text("SELECT 1"))
        count_alerts_created(session, [SimpleNamespace(kind="peer_outlier")])
    with factory() as session:  # closed without commit
        session.execute(text("SELECT 1"))
        count_alerts_created(session, [SimpleNamespace(kind="data_quality")])
        session.commit()
    samples = scrape(client, auth("analyst"))
    assert value(samples, "govperf_alerts_created_total", kind="target_risk") == 0
    assert value(samples, "govperf_alerts_created_total", kind="peer_outlier") == 0
    assert value(samples, "govperf_alerts_created_total", kind="data_quality") == 1


def test_loaded_models_and_the_outbox_depth_hook(client, auth):
    samples = scrape(client, auth("analyst"))
    for capability in ("anomaly", "forecast", "targets", "feedback"):
        assert value(samples, "govperf_model_info", capability=capability, version="3") == 1
    assert value(samples, "govperf_webhook_outbox_depth") == 0  # the lifespan registers the outbox: empty
    register_queue_depth(client.app, lambda: 7)
    assert value(scrape(client, auth("analyst")), "govperf_webhook_outbox_depth") == 7

    def broken():
        raise RuntimeError("outbox table missing")

    register_queue_depth(client.app, broken)
    assert value(scrape(client, auth("analyst")), "govperf_webhook_outbox_depth") is None  # the scrape still works


def test_each_app_has_its_own_registry(make_client, auth):
    clients = [make_client() for _ in range(3)]  # no duplicate-registration error
    clients[0].get("/v1/models", headers=auth("analyst"))
    counts = [value(scrape(c, auth("analyst")), "http_requests_total", handler="/v1/models", method="GET",
                    status="200") for c in clients]
    assert counts == [1, None, None]
