"""Hardening at the edge: ids that cannot collide, clean names, exact keys, security
headers, owner-only database files, no statement parameters in database errors."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from api.db import Observation, make_engine
from govperf_ml.vocabulary import name_problem, series_id
from tests.api.calls import post_obs


def obs(org_unit, indicator, value=1.0):
    return {"org_unit": org_unit, "indicator": indicator, "ds": "2024-01-01", "value": value}


@pytest.mark.parametrize(
    ("org_unit", "indicator", "bad_field"),
    [("PA", "B|C", "indicator"), ("PA|B", "C", "org_unit"), ("D01", "per\x00mits", "indicator"),
     ("D\u202e01", "permits", "org_unit")],
)
def test_names_that_could_collide_or_mislead_are_422_naming_the_field(client, auth, db, org_unit, indicator, bad_field):
    r = post_obs(client, auth, [obs("D09", "ok"), obs(org_unit, indicator)])
    assert r.status_code == 422
    (err,) = r.json()["errors"]
    assert err["loc"] == ["body", "observations", 1, bad_field]
    assert "must not contain" in err["msg"]
    assert db.count(Observation) == 0  # nothing of the batch is kept


def test_the_two_pairs_of_one_id_can_no_longer_overwrite_each_other(client, auth, db):
    assert post_obs(client, auth, [obs("PA", "B_C", 1.0)]).status_code == 200
    assert post_obs(client, auth, [obs("PA_B", "C", 2.0)]).status_code == 200
    assert db.count(Observation) == 2


def test_a_target_named_by_an_ambiguous_unique_id_is_422(client, auth):
    target = {"unique_id": "PA|B|C", "target": 1, "deadline": "2025-12-31", "direction": "higher",
              "aggregation": "last"}
    r = client.put("/v1/targets", headers=auth("supervisor"), json={"targets": [target]})
    assert r.status_code == 422
    assert "must not contain '|'" in r.text


def test_library_ids_refuse_the_separator_in_a_part():
    assert series_id("D01", "permits") == "D01|permits"
    with pytest.raises(ValueError, match="must not contain"):
        series_id("PA", "B|C")
    assert name_problem("东湖区") is None


def test_a_key_padded_with_spaces_is_refused(client, api_keys):
    ok = client.get("/v1/alerts", headers={"X-API-Key": api_keys["supervisor"]})
    assert ok.status_code == 200
    # HTTP itself drops spaces and tabs around a header value; nothing else is trimmed
    for padded in (api_keys["supervisor"] + "\xa0", "\x0b" + api_keys["supervisor"]):
        r = client.get("/v1/alerts", headers={"X-API-Key": padded.encode("latin-1")})
        assert r.status_code == 401


def test_security_headers_on_every_response(client, auth):
    for r in (client.get("/healthz"), client.get("/v1/alerts", headers=auth("supervisor")),
              client.get("/v1/alerts")):
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["cache-control"] == "no-store"
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["x-request-id"]


@pytest.mark.empty_database
def test_the_database_file_is_readable_by_its_owner_only(client, settings, sqlite_only):
    path = Path(settings.database_url.removeprefix("sqlite:///"))
    assert path.exists()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_database_errors_do_not_carry_statement_parameters(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE m (id INTEGER PRIMARY KEY, body TEXT NOT NULL UNIQUE)"))
        conn.execute(text("INSERT INTO m (body) VALUES (:b)"), {"b": "张三 微信 zhangsan_1988"})
    with pytest.raises(IntegrityError) as err, engine.begin() as conn:
        conn.execute(text("INSERT INTO m (body) VALUES (:b)"), {"b": "张三 微信 zhangsan_1988"})
    assert "zhangsan_1988" not in str(err.value)
    assert "hidden due to hide_parameters" in str(err.value)


@pytest.mark.parametrize(
    "url", ["/v1/alerts/99999999999999999999", "/v1/alerts?after_seq=99999999999999999999",
            "/v1/alerts?offset=99999999999999999999", f"/v1/alerts/{2**31}", f"/v1/alerts?after_seq={2**31}",
            f"/v1/forecast-runs/{2**31}", f"/v1/forecasts?run_id={2**31}"],
)
def test_ids_beyond_what_the_databases_hold_are_422_not_an_overflow(client, auth, url):
    # ids and cursors are PostgreSQL integers (32 bits); offsets may use 64
    r = client.get(url, headers=auth("supervisor"))
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"][-1] in ("alert_id", "after_seq", "offset", "run_id")


def test_the_largest_id_is_a_plain_404(client, auth):
    assert client.get(f"/v1/alerts/{2**31 - 1}", headers=auth("supervisor")).status_code == 404
    assert client.get(f"/v1/alerts?offset={2**63 - 1}", headers=auth("supervisor")).status_code == 200


@pytest.mark.parametrize(
    ("ds", "msg"),
    [("2300-01-01", "must be between 1900-01-01 and 2199-12-31"), ("1600-01-01T00:00:00", "must be between"),
     (0, "not a number"), (1.7e9, "not a number")],
)
def test_dates_outside_the_range_or_given_as_numbers_are_422(client, auth, db, ds, msg):
    r = post_obs(client, auth, [{"org_unit": "D01", "indicator": "permits", "ds": ds, "value": 1.0}])
    assert r.status_code == 422
    (err,) = r.json()["errors"]
    assert err["loc"] == ["body", "observations", 0, "ds"] and msg in err["msg"]
    assert db.count(Observation) == 0


def test_out_of_range_dates_everywhere_they_enter(client, auth):
    series = [{"unique_id": "D01|permits", "ds": "2300-01-01", "y": 1.0}]
    target = {"unique_id": "D01|permits", "target": 1, "deadline": "2300-12-31", "direction": "higher",
              "aggregation": "last"}
    requests = [
        client.post("/v1/anomalies/score", headers=auth("scoring_core"), json={"series": series}),
        client.put("/v1/targets", headers=auth("supervisor"), json={"targets": [target]}),
        client.get("/v1/forecasts?from=2300-01-01", headers=auth("analyst")),
        client.get("/v1/targets?deadline_to=1066-10-14", headers=auth("analyst")),
        client.post("/v1/feedback/classify", headers=auth("handler"),
                    json={"messages": [{"text": "路灯坏了", "received_at": 0}]}),
    ]
    for r in requests:
        assert r.status_code == 422, (r.request.url, r.text)
        assert "must be between" in r.text or "not a number" in r.text, r.text


def test_a_month_outside_the_sample_city_is_404_not_an_empty_batch(client, auth):
    r = client.get("/v1/admin/sample-city/observations?ds=2030-01-01", headers=auth("scoring_core"))
    assert r.status_code == 404
    assert "no observations for 2030-01" in r.json()["detail"]


def test_a_body_over_the_limit_is_413_before_it_is_parsed(make_client, settings, auth, db):
    small = make_client(app_settings=settings.model_copy(update={"max_body_bytes": 2048}))
    batch = [obs("D01", f"indicator_{i}") for i in range(100)]  # ~8 kB
    r = post_obs(small, auth, batch)
    assert r.status_code == 413 and "2048 bytes" in r.json()["detail"]
    assert r.headers["x-request-id"]

    def chunks():  # no Content-Length: counted as it streams
        import json

        body = json.dumps({"observations": batch}).encode()
        for i in range(0, len(body), 1000):
            yield body[i:i + 1000]

    streamed = small.post("/v1/observations", headers={**auth("scoring_core"), "content-type": "application/json"},
                          content=chunks())
    assert streamed.status_code == 413
    assert post_obs(small, auth, batch[:5]).status_code == 200  # under the limit: served


def test_without_a_valid_key_the_body_is_never_read(client, auth, monkeypatch):
    import api.middleware as mw

    seen = []
    real_replay = mw._replay
    monkeypatch.setattr(mw, "_replay", lambda messages, receive: seen.append(messages) or real_replay(messages, receive))
    huge = b'{"observations": [' + b" " * 3_000_000 + b"]}"
    for headers in ({}, {"X-API-Key": "not-a-key-of-anyone-here"}):
        r = client.post("/v1/observations", headers={**headers, "content-type": "application/json"}, content=huge)
        assert r.status_code == 401
    assert seen == []  # the body was never buffered
    r = post_obs(client, auth, [obs("D01", "permits")])
    assert r.status_code == 200 and len(seen) == 1


def test_a_database_locked_from_outside_is_503_with_retry_after_not_a_hang(make_client, settings, auth, sqlite_only):
    import sqlite3
    import time

    client = make_client(app_settings=settings.model_copy(update={"db_busy_timeout_s": 0.3}))
    path = settings.database_url.removeprefix("sqlite:///")
    outside = sqlite3.connect(path, isolation_level=None)
    outside.execute("BEGIN EXCLUSIVE")
    try:
        started = time.perf_counter()
        r = post_obs(client, auth, [obs("D01", "permits")])
        waited = time.perf_counter() - started
    finally:
        outside.execute("ROLLBACK")
        outside.close()
    assert r.status_code == 503 and r.headers["retry-after"] == "1"
    assert "database is busy" in r.json()["detail"]
    assert waited < 5
    assert post_obs(client, auth, [obs("D01", "permits")]).status_code == 200  # and served once free


def test_the_access_log_is_one_json_line_per_request_without_query_or_body(client, auth, json_log):
    client.get("/v1/alerts/12345?note=zhangsan_1988", headers=auth("supervisor"))
    r = post_obs(client, auth, [obs("D01", "permits")])
    lines = [x for x in json_log.lines() if x["logger"] == "govperf.api.access"]
    assert [(x["method"], x["route"], x["status"]) for x in lines] == [
        ("GET", "/v1/alerts/{alert_id}", 404), ("POST", "/v1/observations", 200)]
    assert all(x["request_id"] and x["ms"] >= 0 and x["level"] == "INFO" and x["time"] for x in lines)
    assert lines[1]["request_id"] == r.headers["X-Request-ID"]
    assert lines[1]["model_versions"] == [r.json()["model_version"], r.json()["targets_model_version"]]
    assert "zhangsan" not in json_log.text() and "permits" not in json_log.text()


def test_records_logged_during_a_request_carry_its_id(client, auth, json_log, monkeypatch):
    import logging

    from api.routers import alerts as alert_routes

    real = alert_routes.service.alerts_query

    def noisy(**kwargs):
        logging.getLogger("govperf.api").warning("listing alerts")
        return real(**kwargs)

    monkeypatch.setattr(alert_routes.service, "alerts_query", noisy)
    r = client.get("/v1/alerts", headers=auth("supervisor"))
    (line,) = [x for x in json_log.lines() if x["message"] == "listing alerts"]
    assert line["request_id"] == r.headers["X-Request-ID"] and line["level"] == "WARNING"


def test_the_served_log_config_writes_json_lines_for_every_logger(tmp_path):
    import json
    import logging
    import subprocess
    import sys

    script = (
        "import logging, logging.config\n"
        "from api.log_config import uvicorn_log_config\n"
        "logging.config.dictConfig(uvicorn_log_config())\n"
        "logging.getLogger('govperf.api').info('service')\n"
        "logging.getLogger('sqlalchemy.engine').warning('driver')\n"
        "logging.getLogger('uvicorn.error').info('server')\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    lines = [json.loads(x) for x in out.stderr.splitlines()]
    assert {(x["logger"], x["message"]) for x in lines} == {
        ("govperf.api", "service"), ("sqlalchemy.engine", "driver"), ("uvicorn.error", "server")}
    assert logging.getLevelName(lines[0]["level"]) == logging.INFO


def test_invalid_keys_past_the_limit_are_429_for_that_address_whatever_the_key(make_client, settings, api_keys):
    client = make_client(app_settings=settings.model_copy(update={"auth_failures_per_minute": 3}))
    wrong = {"X-API-Key": "a-guess-that-is-not-a-key"}
    assert [client.get("/v1/alerts", headers=wrong).status_code for _ in range(3)] == [401, 401, 401]
    blocked = client.get("/v1/alerts", headers=wrong)
    assert blocked.status_code == 429 and 1 <= int(blocked.headers["retry-after"]) <= 60
    assert "too many invalid API keys" in blocked.json()["detail"]
    assert client.get("/v1/alerts", headers={"X-API-Key": api_keys["supervisor"]}).status_code == 429
    assert client.get("/healthz").status_code == 200  # routes without a key are not affected


def test_feedback_text_with_control_characters_is_422_but_line_breaks_are_fine(client, auth):
    def classify(text):
        return client.post("/v1/feedback/classify", headers=auth("handler"), json={"messages": [{"text": text}]})

    r = classify("路灯坏了\x00一个月")
    assert r.status_code == 422
    (err,) = r.json()["errors"]
    assert err["loc"] == ["body", "messages", 0, "text"] and "U+0000" in err["msg"]
    assert classify("路灯坏了\n一个月\t没人修\r\n").status_code == 200


def test_a_request_with_a_body_looks_its_key_up_once(client, auth, monkeypatch):
    from api.auth import KeyStore

    calls = []
    real_lookup = KeyStore.lookup
    monkeypatch.setattr(KeyStore, "lookup", lambda self, key: calls.append(key) or real_lookup(self, key))
    assert post_obs(client, auth, [obs("D01", "permits")]).status_code == 200
    assert len(calls) == 1


def test_overlapping_identical_upserts_all_succeed_once(client, auth, db):
    import threading
    from collections import Counter

    from sqlalchemy import func, select

    from api.db import Observation, Target

    statuses: Counter = Counter()
    for rnd in range(3):
        batch = [obs(f"U{rnd}", f"i{j}") for j in range(20)]
        targets = {"targets": [{"org_unit": f"U{rnd}", "indicator": f"i{j}", "target": 5, "deadline": "2024-12-31",
                                "direction": "higher", "aggregation": "last"} for j in range(5)]}

        def send(i):
            r = post_obs(client, auth, batch) if i % 2 else client.put("/v1/targets", json=targets,
                                                                      headers=auth("scoring_core"))
            statuses[r.status_code] += 1

        threads = [threading.Thread(target=send, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert statuses == {200: 24}  # none answered 409: the collision was retried
    assert db.scalar(select(func.count()).select_from(Observation)) == 60
    assert db.scalar(select(func.count()).select_from(Target)) == 15


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_api_docs_load_nothing_from_outside(client, page):
    import re

    html = client.get(page)
    assert html.status_code == 200
    urls = re.findall(r"""(?:src|href|url)\s*[:=(]\s*['"]([^'"]+)['"]""", html.text)
    assert urls and all(u.startswith("/") for u in urls), urls  # no CDN, no fonts from outside
    for url in urls:
        if url.endswith((".js", ".css")):
            assert client.get(url).status_code == 200
