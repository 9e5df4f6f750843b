"""Load bench: N concurrent clients against the service on SQLite and on PostgreSQL.

``govperf bench load --db sqlite|postgres|both --clients 100 --seconds 60`` starts the
service (:mod:`govperf_ml.bench.load_server`) on a fresh database, loads the bundled
sample city (the data of this bench: ``--data`` is not used) and drives it with
bounded async httpx clients, each sending one request after the other for a fixed time,
mixing every route with fixed weights (:data:`MIX`). Shorter steps at fewer clients
(``--steps 25,50``) come first, to find the peak throughput the full run is compared with.

Reported per database: requests per second, p50/p95/p99 per route, answers by status,
and the writes acknowledged (2xx) that are missing afterwards (``lost_writes``). Every
request loop is bounded in time and targets 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import random
import time
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from govperf_ml.bench import BenchResult
from govperf_ml.bench.load_server import ServerFailed, database, load_sample_city, service, verify_writes
from govperf_ml.bench.postgres import PostgresUnavailable

__all__ = ["PostgresUnavailable", "ServerFailed", "run"]

#: route -> weight (requests per 100); reads are GETs, the rest compute or write
MIX = {
    "health": 4, "alerts_list": 18, "alert_get": 14, "alert_patch": 3, "targets_list": 5, "forecasts_list": 5,
    "ingest": 12, "score": 15, "forecast": 5, "target_risk": 5, "classify": 14,
}
READS = ("health", "alerts_list", "alert_get", "targets_list", "forecasts_list")
WRITES = ("ingest", "alert_patch", "classify")
REQUEST_TIMEOUT_S = 30.0
MESSAGES = ["公交车总是晚点，等了四十分钟也没有车", "小区垃圾分类点无人管理，气味很大", "办理社保转移手续太慢，窗口态度差",
            "学校周边道路拥堵，希望增加交警疏导", "医院挂号难，网上预约总是满号"]


@dataclass
class Shared:
    """What the clients share: the sample city's ids and the acknowledged writes."""

    alert_ids: list[int]
    open_alert_ids: list[int]
    target_ids: list[str]
    observations: list[dict] = field(default_factory=list)  # acknowledged (2xx) ingests
    acknowledged: list[int] = field(default_factory=list)  # alerts acknowledged (2xx)
    samples: list[tuple[str, int, float]] = field(default_factory=list)  # route, status, ms
    failures: Counter = field(default_factory=Counter)  # requests without an answer, by exception


@functools.lru_cache(maxsize=4096)
def monthly_series(uid: str, n: int = 24) -> tuple:
    """One client's series, built once (the client's own CPU would otherwise count in the
    latencies it measures)."""
    rng = random.Random(uid)
    days = pd.date_range("2023-01-01", periods=n, freq="MS")
    return tuple({"unique_id": uid, "ds": f"{d:%Y-%m-%d}", "y": round(80 + 5 * rng.random(), 2)} for d in days)


@functools.lru_cache(maxsize=4096)
def daily_series(uid: str, n: int = 90) -> tuple:
    rng = random.Random(uid)
    days = pd.date_range("2025-01-01", periods=n, freq="D")
    return tuple({"unique_id": uid, "ds": f"{d:%Y-%m-%d}", "y": round(100 + 20 * (d.weekday() < 5) + 5 * rng.random(), 1)}
                 for d in days)


def request_for(route: str, client_id: str, k: int, rng: random.Random, shared: Shared) -> tuple | None:
    """(method, path, role, json, params, write) for one request of ``route``; None to skip."""
    if route == "health":
        return "GET", "/healthz", "analyst", None, None, None
    if route == "alerts_list":
        return "GET", "/v1/alerts", "supervisor", None, {"limit": 50, "offset": rng.randrange(0, 200)}, None
    if route == "alert_get":
        return "GET", f"/v1/alerts/{rng.choice(shared.alert_ids or [1])}", "supervisor", None, None, None
    if route == "alert_patch":
        if not shared.open_alert_ids:
            return None
        alert_id = shared.open_alert_ids.pop()
        return "PATCH", f"/v1/alerts/{alert_id}", "supervisor", {"status": "acknowledged"}, None, alert_id
    if route == "targets_list":
        return "GET", "/v1/targets", "analyst", None, {"limit": 50}, None
    if route == "forecasts_list":
        return "GET", "/v1/forecasts", "analyst", None, {"org_unit": "CITY", "limit": 100}, None
    if route == "ingest":
        obs = {"org_unit": f"LOAD{client_id}", "indicator": "probe_rate",
               "ds": f"{dt.date(2024, 1, 1) + dt.timedelta(days=k):%Y-%m-%d}", "value": round(50 + rng.random(), 6)}
        return "POST", "/v1/observations", "scoring_core", {"observations": [obs]}, None, obs
    if route == "score":
        return "POST", "/v1/anomalies/score", "supervisor", {"series": list(monthly_series(f"s{client_id}"))}, None, None
    if route == "forecast":
        return "POST", "/v1/forecasts", "analyst", {"h": 14, "series": list(daily_series(f"calls{client_id}"))}, None, None
    if route == "target_risk":
        body = {"series": [{**p, "unique_id": "rate"} for p in monthly_series(f"r{client_id}", 18)],
                "targets": [{"unique_id": "rate", "target": 90.0, "deadline": "2024-12-01", "direction": "higher",
                             "aggregation": "last"}]}
        return "POST", "/v1/targets/risk", "analyst", body, None, None
    if route == "classify":
        text = rng.choice(MESSAGES)
        return "POST", "/v1/feedback/classify", "handler", {"messages": [{"text": text}]}, None, None
    raise ValueError(route)


async def one_client(client, server, client_id: str, deadline: float, shared: Shared, seed: int) -> None:
    rng = random.Random(seed)
    routes, weights = list(MIX), list(MIX.values())
    k = 0
    while time.monotonic() < deadline:
        route = rng.choices(routes, weights)[0]
        spec = request_for(route, client_id, k, rng, shared)
        if spec is None:
            continue
        method, path, role, body, params, write = spec
        k += 1
        started = time.perf_counter()
        try:
            r = await client.request(method, path, json=body, params=params, headers=server.headers(role))
            status = r.status_code
        except Exception as err:  # timeouts, refused or reset connections: never a success
            status = 0
            shared.failures[type(err).__name__] += 1
        shared.samples.append((route, status, (time.perf_counter() - started) * 1000))
        if 200 <= status < 300 and route == "ingest":
            shared.observations.append(write)
        elif 200 <= status < 300 and route == "alert_patch":
            shared.acknowledged.append(write)


async def drive(server, clients: int, seconds: float, shared: Shared, seed: int = 0) -> float:
    """``clients`` concurrent loops for ``seconds``; returns the wall time."""
    import httpx

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    started = time.monotonic()
    async with httpx.AsyncClient(base_url=server.base_url, limits=limits, timeout=REQUEST_TIMEOUT_S) as client:
        deadline = started + seconds
        await asyncio.gather(*(one_client(client, server, f"{clients}C{c:03d}", deadline, shared, seed * 1000 + c)
                               for c in range(clients)))
    return time.monotonic() - started


def route_table(samples: list[tuple[str, int, float]]) -> pd.DataFrame:
    df = pd.DataFrame(samples, columns=["route", "status", "ms"])
    rows = []
    for route, g in df.groupby("route", sort=False):
        ms = g["ms"].to_numpy()
        rows.append({"route": route, "requests": len(g), "ok": int(((g.status >= 200) & (g.status < 300)).sum()),
                     "4xx": int(((g.status >= 400) & (g.status < 500)).sum()), "5xx": int((g.status >= 500).sum()),
                     "no_answer": int((g.status == 0).sum()), "p50_ms": np.percentile(ms, 50),
                     "p95_ms": np.percentile(ms, 95), "p99_ms": np.percentile(ms, 99)})
    return pd.DataFrame(rows).sort_values("route").reset_index(drop=True)


def percentile(samples, routes, q: float) -> float:
    ms = [s[2] for s in samples if s[0] in routes]
    return float(np.percentile(ms, q)) if ms else float("nan")


@dataclass
class Step:
    clients: int
    seconds: float
    samples: list


def run_database(kind: str, *, clients: int, seconds: float, steps: list[int], step_seconds: float,
                 cache, folder, months: int = 6) -> tuple[dict, list[tuple[str, pd.DataFrame]]]:
    """One database: start it and the service, load the city, run the steps, verify."""
    t0 = time.perf_counter()
    with database(kind, folder) as url, service(url, cache=cache) as server:
        done, shared, lost = exercise(server, clients=clients, seconds=seconds, steps=steps,
                                      step_seconds=step_seconds, months=months)
        logged_500 = server.server_errors_logged()
    return summarise(kind, done, shared, lost, logged_500, time.perf_counter() - t0)


def exercise(server, *, clients: int, seconds: float, steps: list[int] = (), step_seconds: float = 15,
             months: int = 6) -> tuple[list[Step], Shared, int]:
    """Load the sample city into a running ``server``, drive it (the steps, then
    ``clients``), and count the acknowledged writes missing afterwards."""
    shared = Shared(**load_sample_city(server, months=months))
    done: list[Step] = []
    for n, secs in [*((s, step_seconds) for s in steps if s < clients), (clients, seconds)]:
        shared.samples = []
        wall = asyncio.run(drive(server, n, secs, shared, seed=n))
        done.append(Step(n, wall, shared.samples))
    return done, shared, verify_writes(server, shared.observations, shared.acknowledged)


def summarise(kind, done: list[Step], shared: Shared, lost: int, logged_500: int, wall: float):
    final = done[-1]
    rps = {s.clients: len(s.samples) / s.seconds for s in done}
    peak = max(rps.values())
    statuses = Counter(str(st) for _, st, _ in final.samples)
    server_errors = sum(n for st, n in statuses.items() if st.startswith("5"))
    steps = pd.DataFrame([{"clients": s.clients, "seconds": round(s.seconds, 1), "requests": len(s.samples),
                           "rps": len(s.samples) / s.seconds,
                           "5xx": sum(1 for x in s.samples if x[1] >= 500),
                           "p95_read_ms": percentile(s.samples, READS, 95),
                           "p95_score_ms": percentile(s.samples, ("score",), 95)} for s in done])
    summary = {
        "db": kind, "clients": final.clients, "server_errors": server_errors, "lost_writes": lost,
        "rps": round(rps[final.clients], 1), "peak_rps": round(peak, 1),
        "rps_vs_peak": round(rps[final.clients] / peak, 3), "p95_read_ms": round(percentile(final.samples, READS, 95), 1),
        "p95_score_ms": round(percentile(final.samples, ("score",), 95), 1),
        "no_answer": statuses.get("0", 0), "no_answer_by_error": dict(shared.failures), "statuses": dict(sorted(statuses.items())),
        "writes_acknowledged": len(shared.observations) + len(shared.acknowledged),
        "unhandled_logged": logged_500, "seconds": round(wall, 1),
    }
    tables = [(f"{kind}: {final.clients} clients × {final.seconds:.0f} s, per route", route_table(final.samples)),
              (f"{kind}: throughput by number of clients", steps)]
    return summary, tables


def run(*, db: str = "both", clients: int = 100, seconds: float = 60, steps=(25, 50), step_seconds: float = 15,
        cache=None, months: int = 6) -> BenchResult:
    import tempfile
    from pathlib import Path

    cache = Path(cache or "bench-results/load-cache").resolve()
    kinds = ["sqlite", "postgres"] if db == "both" else [db]
    summaries, tables, notes = [], [], []
    for kind in kinds:
        with tempfile.TemporaryDirectory(prefix=f"govperf-load-{kind}-") as folder:
            summary, kind_tables = run_database(kind, clients=clients, seconds=seconds, steps=list(steps),
                                                step_seconds=step_seconds, cache=cache, folder=Path(folder),
                                                months=months)
        summaries.append(summary)
        tables.extend(kind_tables)
        notes.append(f"{kind}: {summary['rps']} req/s at {clients} clients = {summary['rps_vs_peak']:.0%} of the "
                     f"peak {summary['peak_rps']} req/s; answers {summary['statuses']}; "
                     f"{summary['writes_acknowledged']} writes acknowledged, {summary['lost_writes']} lost")
    return BenchResult(tables, summaries, notes)
