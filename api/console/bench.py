"""The console bench: server time of the alert inbox and the alert page at scale.

``python -m api.console.bench --alerts 100000 --series 20000`` (run by ``govperf bench
console``) fills a temporary SQLite database with ``--series`` monthly series (24 months
of observations each, the sample city's 30 indicators over as many units as needed) and
``--alerts`` alerts spread over them (a realistic mix of kinds, severities and statuses,
each with its lifecycle events), then times in-process requests (Starlette's TestClient:
routing, the database, templates and the chart; no network) of the inbox's first page,
the inbox under 2-3 filters, a deep page and the alert page, ``--requests`` each.
Prints one line ``CONSOLE_BENCH {json}`` with the timings.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import secrets
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import insert, select, update

from api.console import inbox_query
from api.db import Alert, AlertEvent, Counter, Observation
from govperf_ml.sample_city.spec import SPEC
from govperf_ml.vocabulary import ALERT_STATUSES, SEVERITIES

MONTHS = 24
FIRST_MONTH = datetime(2024, 1, 1)
KIND_WEIGHTS = {"performance_anomaly": 0.40, "data_quality": 0.25, "suspected_misreporting": 0.10,
                "peer_outlier": 0.15, "target_risk": 0.08, "model_drift": 0.02}
SEVERITY_WEIGHTS = (0.45, 0.40, 0.15)
STATUS_WEIGHTS = (0.45, 0.15, 0.25, 0.15)
GOAL_MS = 300.0
USER, PASSWORD = "bench-supervisor", "bench-password-0"


def _months() -> list[datetime]:
    return [datetime(FIRST_MONTH.year + (FIRST_MONTH.month - 1 + i) // 12, (FIRST_MONTH.month - 1 + i) % 12 + 1, 1)
            for i in range(MONTHS)]


def _series(n_series: int) -> list[tuple[str, str, float, float]]:
    """(org_unit, indicator, base, noise) of ``n_series`` series: every indicator of a unit, unit after unit."""
    specs = list(SPEC[["indicator", "base", "noise"]].itertuples(index=False))
    units = math.ceil(n_series / len(specs))
    pairs = [(f"U{u + 1:05d}", s.indicator, float(s.base), float(s.noise) or 1.0)
             for u in range(units) for s in specs]
    return pairs[:n_series]


def _observations(series, months, rng: np.random.Generator) -> list[dict]:
    rows = []
    for unit, indicator, base, noise in series:
        values = base + rng.normal(0, noise, len(months)).cumsum() * 0.3
        uid = f"{unit}|{indicator}"
        rows.extend({"org_unit": unit, "indicator": indicator, "unique_id": uid, "ds": ds, "value": round(float(v), 3)}
                    for ds, v in zip(months, values, strict=True))
    return rows


def _alert_rows(series, months, n_alerts: int, rng: random.Random) -> list[dict]:
    """``n_alerts`` alerts over the series, at distinct (period, kind) per series."""
    per, extra = divmod(n_alerts, len(series))
    rows, now = [], datetime(2026, 1, 1)
    for i, (unit, indicator, base, noise) in enumerate(series):
        k = per + (i < extra)  # beyond one a month, some periods repeat (kept when the kind differs)
        for m in rng.sample(range(len(months)), min(k, len(months))) + rng.choices(range(len(months)), k=max(0, k - len(months))):
            kind = rng.choices(list(KIND_WEIGHTS), list(KIND_WEIGHTS.values()))[0]
            observed = base + rng.gauss(0, 4 * noise)
            rows.append({
                "unique_id": f"{unit}|{indicator}", "org_unit": unit, "indicator": indicator, "ds": months[m],
                "kind": kind, "severity": rng.choices(SEVERITIES, SEVERITY_WEIGHTS)[0],
                "status": rng.choices(ALERT_STATUSES, STATUS_WEIGHTS)[0],
                "observed": observed, "expected": base, "lower": base - 2 * noise, "upper": base + 2 * noise,
                "score": rng.random(), "detectors": ["robust_z", "seasonal_residual"],
                "reason_en": f"{indicator} of {unit} is {observed:.1f}, outside the expected {base - 2 * noise:.1f}"
                             f"–{base + 2 * noise:.1f}",
                "reason_zh": f"{unit} 的指标 {indicator} 为 {observed:.1f}，超出预期区间",
                "model_version": "bench", "created_at": now, "updated_at": now,
            })
    return _dedupe(rows)


def _dedupe(rows: list[dict]) -> list[dict]:
    """One alert per (series, period, kind), numbered on the cursor sequence."""
    seen, out = set(), []
    for r in rows:
        key = (r["unique_id"], r["ds"], r["kind"])
        if key not in seen:
            seen.add(key)
            out.append({**r, "seq": len(out) + 1})
    return out


def _events(alerts: list[dict], id_of: dict[int, int]) -> list[dict]:
    """Each alert's lifecycle: opened, then moved to its status (``id_of``: seq -> id)."""
    out = []
    for a in alerts:
        opened = a["created_at"]
        out.append({"alert_id": id_of[a["seq"]], "from_status": None, "to_status": "open", "actor_role": "scoring_core",
                    "actor_key": "bench", "created_at": opened})
        if a["status"] != "open":
            out.append({"alert_id": id_of[a["seq"]], "from_status": "open", "to_status": a["status"],
                        "reason": "checked with the unit" if a["status"] == "dismissed" else None,
                        "actor_role": "supervisor", "actor_key": "bench", "created_at": opened + timedelta(days=2)})
    return out


def fill(session_factory, *, n_alerts: int, n_series: int, seed: int = 0) -> dict:
    """Write the bench's observations, alerts and their events; returns the counts."""
    months, series = _months(), _series(n_series)
    alerts = _alert_rows(series, months, n_alerts, random.Random(seed))
    observations = _observations(series, months, np.random.default_rng(seed))
    with session_factory() as session:  # ids from the database (its sequence stays right on PostgreSQL)
        for model, rows in ((Observation, observations), (Alert, alerts)):
            for start in range(0, len(rows), 20_000):
                session.execute(insert(model), rows[start:start + 20_000])
        id_of = dict(session.execute(select(Alert.seq, Alert.id)).all())
        events = _events(alerts, id_of)
        for start in range(0, len(events), 20_000):
            session.execute(insert(AlertEvent), events[start:start + 20_000])
        session.execute(update(Counter).where(Counter.name == "alert_seq").values(value=len(alerts)))
        session.commit()
    return {"alerts": len(alerts), "series": len(series), "observations": len(observations), "events": len(events)}


def _timed(client, paths: list[str]) -> list[tuple[float, float]]:
    """(wall, CPU) milliseconds of each GET (each must answer 200). CPU time is the
    process's (all its threads): unlike wall time, other work on the machine leaves it be."""
    out = []
    for path in paths:
        wall, cpu = time.perf_counter(), time.process_time()
        response = client.get(path)
        out.append(((time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000))
        if response.status_code != 200:
            raise RuntimeError(f"GET {path} answered {response.status_code}: {response.text[:300]}")
    return out


def scenarios(n_alerts: int, n_series: int, requests: int, rng: random.Random) -> dict[str, list[str]]:
    """The pages timed: the inbox's first page, with 2-3 filters, a deep page, the alert page."""
    unit = _series(n_series)[n_series // 2][0]
    filtered = ["/console/alerts?status=open&severity=high&kind=performance_anomaly",
                f"/console/alerts?org_unit={unit}&status=open",
                "/console/alerts?dimension=efficiency&since=2025-01&until=2025-06&severity=high"]
    deep = min(inbox_query.MAX_PAGE, max(1, math.ceil(n_alerts / inbox_query.PAGE_SIZE)))
    return {
        "inbox_first": ["/console/alerts"] * requests,
        "inbox_filtered": [filtered[i % len(filtered)] for i in range(requests)],
        "inbox_deep": [f"/console/alerts?page={deep}"] * requests,
        "alert_page": [f"/console/alerts/{rng.randint(1, n_alerts)}" for _ in range(requests)],
    }


def run(*, n_alerts: int, n_series: int, requests: int = 50, seed: int = 0) -> dict:
    """Fill a temporary database and time the console's pages; returns the figures."""
    from fastapi.testclient import TestClient

    from api.console.users import add_user
    from api.main import create_app
    from api.settings import Settings

    started, load_before = time.perf_counter(), os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="govperf-console-bench-") as tmp:
        settings = Settings(_env_file=None, database_url=f"sqlite:///{Path(tmp) / 'bench.db'}",
                            api_keys={secrets.token_urlsafe(24): "supervisor"},  # no API calls: an unused key
                            api_keys_file=Path(tmp) / "keys.json", mlflow_tracking_uri=None, cors_origins=[])
        with TestClient(create_app(settings, models={}), raise_server_exceptions=True) as client:
            filled = fill(client.app.state.session_factory, n_alerts=n_alerts, n_series=n_series, seed=seed)
            fill_s = time.perf_counter() - started
            with client.app.state.session_factory() as session:
                add_user(session, USER, "supervisor", PASSWORD, actor="bench")
                session.commit()
            _sign_in(client)
            paths = scenarios(filled["alerts"], filled["series"], requests, random.Random(seed))
            _timed(client, [paths["inbox_first"][0], paths["alert_page"][0]])  # warm-up: templates, fonts
            timings = {name: _timed(client, batch) for name, batch in paths.items()}
    return {**filled, "requests": requests, "fill_seconds": round(fill_s, 1),
            "seconds": round(time.perf_counter() - started, 1), "goal_ms": GOAL_MS, "cpus": os.cpu_count(),
            "load_average": [round(load_before, 1), round(os.getloadavg()[0], 1)],
            "timings": {name: _stats(ms) for name, ms in timings.items()}}


def _sign_in(client) -> None:
    import re

    page = client.get("/console/login").text
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    answer = client.post("/console/login", data={"username": USER, "password": PASSWORD, "csrf": token},
                         follow_redirects=False)
    if answer.status_code != 303:
        raise RuntimeError(f"the bench user could not sign in ({answer.status_code})")


def _stats(samples: list[tuple[float, float]]) -> dict:
    wall, cpu = np.array([w for w, _ in samples]), np.array([c for _, c in samples])
    return {"n": len(samples), "p50_ms": round(float(np.percentile(wall, 50)), 1),
            "p95_ms": round(float(np.percentile(wall, 95)), 1), "max_ms": round(float(wall.max()), 1),
            "cpu_p50_ms": round(float(np.percentile(cpu, 50)), 1), "cpu_p95_ms": round(float(np.percentile(cpu, 95)), 1)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m api.console.bench", description=__doc__.split("\n")[0])
    parser.add_argument("--alerts", type=int, default=100_000)
    parser.add_argument("--series", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.alerts < 1 or args.series < 1 or args.requests < 1:
        parser.error("--alerts, --series and --requests must be at least 1")
    figures = run(n_alerts=args.alerts, n_series=args.series, requests=args.requests, seed=args.seed)
    print("CONSOLE_BENCH " + json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
