"""Load that degrades gracefully: writers take turns, heavy requests queue, the load bench.

Overload ends in waiting then success, or in 503 with Retry-After: never a 500, never a
hang. Every server here listens on 127.0.0.1 only.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest

from api.db import Observation


def post_obs(client, auth, org_unit="D01", value=1.0):
    batch = [{"org_unit": org_unit, "indicator": "permits", "ds": "2025-01-01", "value": value}]
    return client.post("/v1/observations", headers=auth("scoring_core"), json={"observations": batch})


def hold_writer_turn(client):
    """A write transaction of another request, holding the writer's turn until closed."""
    session = client.app.state.write_session_factory()
    session.add(Observation(org_unit="X", indicator="held", unique_id="X|held", ds=_ds(), value=1.0))
    session.flush()
    return session


def _ds():
    import datetime as dt

    return dt.datetime(2025, 1, 1)


def test_a_writer_waits_for_its_turn_then_succeeds(make_client, settings, auth, sqlite_only):
    client = make_client(app_settings=settings.model_copy(update={"db_busy_timeout_s": 5}))
    blocker = hold_writer_turn(client)
    threading.Timer(0.5, lambda: (blocker.commit(), blocker.close())).start()
    started = time.perf_counter()
    r = post_obs(client, auth)
    assert r.status_code == 200, r.text
    assert 0.4 < time.perf_counter() - started < 5


def test_a_writer_without_a_turn_in_time_is_503_with_retry_after(make_client, settings, auth, sqlite_only):
    client = make_client(app_settings=settings.model_copy(update={"db_busy_timeout_s": 0.3}))
    blocker = hold_writer_turn(client)
    try:
        started = time.perf_counter()
        r = post_obs(client, auth)
        waited = time.perf_counter() - started
        assert client.get("/v1/alerts", headers=auth("supervisor")).status_code == 200  # readers never wait
    finally:
        blocker.rollback()
        blocker.close()
    assert r.status_code == 503 and r.headers["retry-after"] == "1"
    assert waited < 3
    assert post_obs(client, auth).status_code == 200  # the turn was given back


def test_many_concurrent_writers_all_succeed(client, auth, db):
    with ThreadPoolExecutor(12) as pool:
        codes = list(pool.map(lambda i: post_obs(client, auth, org_unit=f"U{i}").status_code, range(36)))
    assert codes == [200] * 36
    assert db.count(Observation) == 36


def slow_forecasts(client, monkeypatch, seconds: float):
    estimator = client.app.state.models["forecast"].estimator
    real = estimator.forecast

    def slow(*args, **kwargs):
        time.sleep(seconds)
        return real(*args, **kwargs)

    monkeypatch.setattr(estimator, "forecast", slow)


def post_forecast(client, auth, helpers):
    return client.post("/v1/forecasts", headers=auth("analyst"), json={"h": 2, "series": helpers.monthly("a", [1, 2, 3])})


@pytest.mark.parametrize(("timeout_s", "expected"), [(5.0, [200, 200, 200]), (0.2, [200, 503, 503])])
def test_heavy_requests_queue_for_their_turn_then_succeed_or_get_503(
    make_client, settings, auth, helpers, monkeypatch, timeout_s, expected
):
    client = make_client(app_settings=settings.model_copy(
        update={"compute_concurrency": 1, "compute_queue_timeout_s": timeout_s}))
    slow_forecasts(client, monkeypatch, 0.4)
    with ThreadPoolExecutor(3) as pool:
        answers = list(pool.map(lambda _: post_forecast(client, auth, helpers), range(3)))
    assert sorted(r.status_code for r in answers) == expected
    assert all(r.headers["retry-after"] == "1" for r in answers if r.status_code == 503)


def test_a_read_is_not_queued_behind_heavy_requests(make_client, settings, auth, helpers, monkeypatch):
    client = make_client(app_settings=settings.model_copy(update={"compute_concurrency": 1}))
    slow_forecasts(client, monkeypatch, 1.0)
    with ThreadPoolExecutor(3) as pool:
        heavy = [pool.submit(post_forecast, client, auth, helpers) for _ in range(2)]
        time.sleep(0.2)
        started = time.perf_counter()
        assert client.get("/v1/alerts", headers=auth("supervisor")).status_code == 200
        assert time.perf_counter() - started < 0.9
        assert [f.result().status_code for f in heavy] == [200, 200]


@pytest.fixture
def live_server(settings, api_keys, monkeypatch, small_city):
    """The app with the fake models, served by uvicorn on a free 127.0.0.1 port."""
    import uvicorn

    from api.main import create_app
    from api.services import sample
    from govperf_ml.bench.postgres import free_port
    from tests.api.conftest import fake_models

    monkeypatch.setattr(sample, "sample_city", lambda *args, **kwargs: small_city)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings, models=fake_models()), host="127.0.0.1", port=port,
                                           log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    yield SimpleNamespace(base_url=f"http://127.0.0.1:{port}", headers=lambda role: {"X-API-Key": api_keys[role]})
    server.should_exit = True
    thread.join(15)


def test_the_load_bench_drives_every_route_and_finds_every_write(live_server):
    from govperf_ml.bench import load

    done, shared, lost = load.exercise(live_server, clients=5, seconds=3, steps=[2], step_seconds=1, months=2)
    summary, tables = load.summarise("sqlite", done, shared, lost, 0, 4.0)
    final = done[-1].samples
    assert {s[0] for s in final} >= set(load.MIX) - {"alert_patch"}
    assert all(0 < status < 500 for _, status, _ in final), summary["statuses"]
    assert shared.observations and lost == 0
    assert summary["server_errors"] == 0 and summary["lost_writes"] == 0
    assert {"rps", "p95_read_ms", "seconds", "rps_vs_peak"} <= set(summary)
    assert [t for t, _ in tables] == ["sqlite: 5 clients × 3 s, per route", "sqlite: throughput by number of clients"]


def test_fifty_clients_posting_overlapping_batches_lose_and_duplicate_nothing(client, auth, db):
    """The scoring core resends overlapping batches from 50 clients at once (run on
    PostgreSQL too by scripts/test.sh): every key is stored once, every alert raised once."""
    from sqlalchemy import distinct, func, select

    from api.db import Alert

    months = [f"{2023 + m // 12}-{m % 12 + 1:02d}-01" for m in range(24)]

    def value(unit: int, m: int) -> float:
        return 50.0 + m % 3 + (40.0 if m == 20 else 0.0)  # month 20 of every unit is an anomaly

    def post(i: int) -> int:
        units, start = (i % 5, (i + 1) % 5), i % 12
        batch = [{"org_unit": f"U{u}", "indicator": "permits", "ds": months[m], "value": value(u, m)}
                 for u in units for m in range(start, start + 12)]
        return client.post("/v1/observations", headers=auth("scoring_core"), json={"observations": batch}).status_code

    with ThreadPoolExecutor(10) as pool:
        codes = list(pool.map(post, range(50)))
    assert codes == [200] * 50
    assert db.count(Observation) == 5 * 23  # months 0..22 of every unit: none lost, none twice
    twice = db.rows(select(Alert.unique_id, Alert.ds, Alert.kind).group_by(Alert.unique_id, Alert.ds, Alert.kind)
                    .having(func.count() > 1))
    assert twice == []
    assert db.scalar(select(func.count(distinct(Alert.seq)))) == db.count(Alert)
    flagged = {a.unique_id for a in db.scalars(select(Alert).where(Alert.kind == "performance_anomaly"))}
    assert flagged == {f"U{u}|permits" for u in range(5)}
