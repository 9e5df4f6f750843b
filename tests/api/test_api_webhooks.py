"""Webhooks: subscriptions, the outbox, and delivery to a real local receiver.

The receiver is a small HTTP server on 127.0.0.1 in a thread. "Down" is first nothing
listening on its port (connection refused), then a server answering 503; the backoff
settings are short so a long outage takes a second or two.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.auth import Principal
from api.db import Alert, WebhookDelivery
from api.main import create_app
from api.services.alerts import insert_alerts
from api.signing import sign, verify_signature

SECRET = "s3cret-of-at-least-32-characters-long!"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Receiver:
    """Records every request; answers 503 to the first ``fail_first`` ones and to events
    for which ``always_fail(event)`` is true, 200 otherwise. Not listening until :meth:`start`."""

    def __init__(self, fail_first: int = 0, always_fail=lambda event: False):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hooks/govperf"
        self.fail_first = fail_first
        self.always_fail = always_fail
        self.requests: list[dict] = []  # every request received, in arrival order
        self.accepted: list[str] = []  # idempotency keys answered 200, in order
        self._server: ThreadingHTTPServer | None = None
        self._lock = threading.Lock()

    def _handle(self, handler: BaseHTTPRequestHandler) -> int:
        body = handler.rfile.read(int(handler.headers["Content-Length"]))
        key = handler.headers["Idempotency-Key"]
        with self._lock:
            self.requests.append({"headers": dict(handler.headers), "body": body, "key": key})
            failing = len(self.requests) <= self.fail_first or self.always_fail(json.loads(body))
            if not failing:
                self.accepted.append(key)
        return 503 if failing else 200

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the http.server interface
                code = receiver._handle(self)
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def distinct_keys(self) -> list[str]:
        """Keys in the order they first arrived (what a receiver that dedups keeps)."""
        return list(dict.fromkeys(r["key"] for r in self.requests))


@pytest.fixture
def receiver():
    made: list[Receiver] = []

    def make(**kwargs) -> Receiver:
        made.append(Receiver(**kwargs))
        return made[-1]

    yield make
    for r in made:
        r.stop()


@pytest.fixture
def hook_settings(settings):
    return settings.model_copy(
        update=dict(
            webhook_poll_interval_s=0.05,
            webhook_backoff_initial_s=0.02,
            webhook_backoff_max_s=0.2,
            webhook_burst_attempts=2,
            webhook_timeout_s=2.0,
        )
    )


def wait_for(check, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"not true after {timeout} s: {check}")


def subscribe(client, auth, url, **extra):
    r = client.put("/v1/subscriptions", headers=auth("scoring_core"), json={"url": url, "secret": SECRET, **extra})
    assert r.status_code in (200, 201), r.text
    return r


def stats(client, auth) -> dict:
    r = client.get("/v1/subscriptions", headers=auth("scoring_core"))
    assert r.status_code == 200, r.text
    return r.json()["deliveries"]


def spike_alerts(client, auth, helpers, units=("d1", "d2", "d3")) -> list[dict]:
    """Two alerts per unit, created by one observations request."""
    batch = []
    for unit in units:
        batch += helpers.observations(unit, "complaints", [10, 10, 60, 10, 10, 70], direction="lower")
    r = client.post("/v1/observations", headers=auth("scoring_core"), json={"observations": batch})
    assert r.status_code == 200, r.text
    return r.json()["alerts"]


def test_receiver_down_then_back_gets_every_event_once_per_key_in_order(
    make_client, hook_settings, auth, helpers, receiver
):
    hook = receiver(fail_first=3)  # refused while not started, then three 503s
    client = make_client(app_settings=hook_settings)
    subscribe(client, auth, hook.url)
    alerts = spike_alerts(client, auth, helpers)
    r = client.patch(f"/v1/alerts/{alerts[1]['id']}", headers=auth("supervisor"), json={"status": "acknowledged"})
    assert r.status_code == 200

    # down: the head event stays pending with its attempts and error; nothing is skipped
    down = wait_for(lambda: (s := stats(client, auth))["last_error"] and s)
    assert down["pending"] == 7 and down["delivered"] == 0 and "ConnectError" in down["last_error"]
    # a long outage: several bursts, each put back in the outbox with its next attempt time
    head = wait_for(
        lambda: (d := client.get("/v1/subscriptions/deliveries", headers=auth("scoring_core")).json()["data"][0])
        and d["attempts"] >= 6
        and d
    )
    assert head["status"] == "pending" and head["next_attempt_at"] and "ConnectError" in head["last_error"]
    assert head["idempotency_key"] == f"alert-{alerts[0]['id']}-open"

    hook.start()
    wait_for(lambda: stats(client, auth)["delivered"] == 7)
    expected = [f"alert-{a['id']}-open" for a in sorted(alerts, key=lambda a: a["seq"])]
    expected.append(f"alert-{alerts[1]['id']}-acknowledged")
    assert hook.distinct_keys() == expected  # every key, first seen in seq order
    assert hook.accepted == expected  # each accepted exactly once, in order
    assert len(hook.requests) == len(expected) + 3  # the three 503s were redelivered

    for req in hook.requests:
        h = req["headers"]
        assert verify_signature(SECRET, h["X-Govperf-Timestamp"], req["body"], h["X-Govperf-Signature"])
        event = json.loads(req["body"])
        assert event["id"] == req["key"] and event["type"] == h["X-Govperf-Event"]
        assert event["alert"]["id"] == int(req["key"].split("-")[1])
    last = json.loads(hook.requests[-1]["body"])
    assert last["type"] == "alert.updated" and last["alert"]["status"] == "acknowledged"
    final = stats(client, auth)
    assert final["pending"] == 0 and final["failed"] == 0 and final["last_delivered_at"]


def test_subscription_crud_validation_and_the_secret_is_never_shown(client, auth):
    assert client.get("/v1/subscriptions", headers=auth("scoring_core")).status_code == 404
    body = {"url": "https://core.example.gov.cn/hooks", "secret": SECRET}
    r = client.put("/v1/subscriptions", headers=auth("scoring_core"), json=body)
    assert r.status_code == 201 and SECRET not in r.text
    again = client.put("/v1/subscriptions", headers=auth("scoring_core"), json=body)
    assert again.status_code == 200 and again.json()["updated_at"] == r.json()["updated_at"]  # idempotent
    got = client.get("/v1/subscriptions", headers=auth("scoring_core"))
    assert got.status_code == 200 and SECRET not in got.text and "secret" not in got.json()
    assert got.json()["kinds"] is None and got.json()["active"] is True

    for bad in (
        {"url": "ftp://core.example/hooks", "secret": SECRET},
        {"url": "not a url", "secret": SECRET},
        {"url": "https://user:pw@core.example/hooks", "secret": SECRET},
        {"url": "https://core.example/hooks", "secret": "too-short"},
        {"url": "https://core.example/hooks", "secret": SECRET + " "},  # not echoed in the 422
        {"url": "https://core.example/hooks", "secret": SECRET, "kinds": ["gossip"]},
    ):
        r = client.put("/v1/subscriptions", headers=auth("scoring_core"), json=bad)
        assert r.status_code == 422, bad
        assert SECRET not in r.text
    for role in ("supervisor", "analyst", "handler"):
        assert client.put("/v1/subscriptions", headers=auth(role), json=body).status_code == 403
        assert client.get("/v1/subscriptions", headers=auth(role)).status_code == 403
    assert client.get("/v1/subscriptions").status_code == 401

    assert client.delete("/v1/subscriptions", headers=auth("scoring_core")).status_code == 204
    assert client.get("/v1/subscriptions", headers=auth("scoring_core")).status_code == 404
    assert client.delete("/v1/subscriptions", headers=auth("scoring_core")).status_code == 404


def test_filters_decide_what_is_queued(client, auth, helpers, db):
    subscribe(client, auth, "http://127.0.0.1:9/none", kinds=["target_risk"], active=True)
    spike_alerts(client, auth, helpers, units=("d1",))
    assert db.count(Alert) == 2 and db.count(WebhookDelivery) == 0  # performance anomalies only
    subscribe(client, auth, "http://127.0.0.1:9/none", events=["alert.updated"], active=False)
    spike_alerts(client, auth, helpers, units=("d2",))
    assert db.count(WebhookDelivery) == 0  # inactive


def test_a_rolled_back_alert_leaves_no_outbox_row(client, auth, db):
    subscribe(client, auth, "http://127.0.0.1:9/none")
    draft = dict(
        unique_id="d1|complaints",
        org_unit="d1",
        indicator="complaints",
        ds=datetime(2024, 3, 1),
        kind="performance_anomaly",
        severity="high",
        detectors=[],
        reason_en="",
        reason_zh="",
        model_version="test",
    )
    with client.app.state.session_factory() as session:
        insert_alerts(session, [draft], Principal(role="scoring_core", key_id="test"))
        assert session.scalar(select(func.count()).select_from(WebhookDelivery)) == 1  # in the same transaction
        session.rollback()
    assert db.count(Alert) == 0 and db.count(WebhookDelivery) == 0


def test_a_restarted_app_delivers_what_the_first_left_pending(hook_settings, api_keys, auth, helpers, receiver):
    hook = receiver()
    with TestClient(create_app(hook_settings, models=helpers.fake_models())) as first:
        subscribe(first, auth, hook.url)
        alerts = spike_alerts(first, auth, helpers, units=("d1", "d2"))
        wait_for(lambda: stats(first, auth)["last_error"])  # tried, refused, still pending
    hook.start()
    with TestClient(create_app(hook_settings, models=helpers.fake_models())) as second:
        wait_for(lambda: stats(second, auth)["delivered"] == 4)
        assert stats(second, auth)["pending"] == 0
    assert hook.accepted == [f"alert-{a['id']}-open" for a in sorted(alerts, key=lambda a: a["seq"])]


def test_an_event_past_its_max_age_is_dead_lettered_and_the_rest_move_on(
    make_client, hook_settings, auth, helpers, receiver
):
    hook = receiver(always_fail=lambda event: event["alert"]["ds"].startswith("2024-03-01"))
    hook.start()
    client = make_client(app_settings=hook_settings.model_copy(update={"webhook_max_age_s": 0.5}))
    subscribe(client, auth, hook.url)
    alerts = sorted(spike_alerts(client, auth, helpers, units=("d1",)), key=lambda a: a["seq"])
    assert alerts[0]["ds"].startswith("2024-03-01")  # the refused one is the head
    wait_for(lambda: stats(client, auth)["delivered"] == 1, timeout=8)
    s = stats(client, auth)
    assert s["failed"] == 1 and s["pending"] == 0 and "503" in s["last_error"]
    failed = client.get("/v1/subscriptions/deliveries", headers=auth("scoring_core"), params={"status": "failed"})
    assert [d["alert_id"] for d in failed.json()["data"]] == [alerts[0]["id"]]
    assert failed.json()["data"][0]["last_status_code"] == 503
    assert hook.accepted == [f"alert-{alerts[1]['id']}-open"]


def test_a_commit_that_queues_events_wakes_the_worker(make_client, hook_settings, auth, helpers, receiver):
    hook = receiver()
    hook.start()
    client = make_client(app_settings=hook_settings.model_copy(update={"webhook_poll_interval_s": 60}))
    subscribe(client, auth, hook.url)
    time.sleep(0.2)  # the worker's first pass is over: it now waits a minute unless woken
    spike_alerts(client, auth, helpers, units=("d1",))
    wait_for(lambda: len(hook.accepted) == 2, timeout=5)


def test_webhooks_can_be_left_to_another_process(make_client, settings, auth, helpers):
    client = make_client(app_settings=settings.model_copy(update={"webhooks_enabled": False}))
    assert client.app.state.webhooks is None
    subscribe(client, auth, "http://127.0.0.1:9/none")
    spike_alerts(client, auth, helpers, units=("d1",))
    assert stats(client, auth)["pending"] == 2  # queued all the same


def test_verify_signature():
    body = b'{"id":"alert-1-open"}'
    ts = str(int(time.time()))
    header = sign(SECRET, ts, body)
    assert header.startswith("sha256=") and verify_signature(SECRET, ts, body, header)
    assert not verify_signature(SECRET, ts, body + b" ", header)
    assert not verify_signature("another-secret-of-32-characters-or-more", ts, body, header)
    assert not verify_signature(SECRET, str(int(ts) + 1), body, header)
    assert not verify_signature(SECRET, ts, body, header.removeprefix("sha256="))
    assert not verify_signature(SECRET, "not-a-time", body, header)
    old = str(int(time.time()) - 3600)
    assert not verify_signature(SECRET, old, body, sign(SECRET, old, body))  # a replay
    assert verify_signature(SECRET, old, body, sign(SECRET, old, body), tolerance_s=None)
