"""``govperf bench console``: server time of the web console's alert pages at scale.

The bench itself is the service's (:mod:`api.console.bench`, run as ``python -m
api.console.bench`` so this library never imports the service, as the load bench runs
the server): a temporary SQLite database with ``alerts`` alerts over ``series`` monthly
series, then ``requests`` in-process requests of each page. Goal: every p95 under 300 ms.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pandas as pd

from govperf_ml.bench import BenchResult
from govperf_ml.bench.load_server import REPO

MARK = "CONSOLE_BENCH "
PAGES = {
    "inbox_first": "inbox, first page",
    "inbox_filtered": "inbox, 2-3 filters",
    "inbox_deep": "inbox, deepest page",
    "alert_page": "alert page (chart, peers, history)",
}


class BenchFailed(RuntimeError):
    """The bench's process failed (its output's tail is in the message)."""


def measure(*, alerts: int, series: int, requests: int, seed: int = 0, timeout_s: float = 3600) -> dict:
    """Run ``python -m api.console.bench``; returns its figures."""
    env = {**os.environ,
           "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
    command = [sys.executable, "-m", "api.console.bench", "--alerts", str(alerts), "--series", str(series),
               "--requests", str(requests), "--seed", str(seed)]
    done = _process(command, env, timeout_s)
    lines = [line for line in done.stdout.splitlines() if line.startswith(MARK)]
    if done.returncode != 0 or not lines:
        raise BenchFailed(f"the console bench failed ({done.returncode}):\n{(done.stdout + done.stderr)[-3000:]}")
    return json.loads(lines[-1].removeprefix(MARK))


def _process(command: list[str], env: dict, timeout_s: float) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout_s)


def run(*, alerts: int = 100_000, series: int = 20_000, requests: int = 50, seed: int = 0) -> BenchResult:
    figures = measure(alerts=alerts, series=series, requests=requests, seed=seed)
    table = pd.DataFrame([{"page": PAGES.get(name, name), **stats} for name, stats in figures["timings"].items()])
    goal = figures["goal_ms"]
    timings = figures["timings"]
    inbox_p95 = max(timings[name]["p95_ms"] for name in ("inbox_first", "inbox_filtered", "inbox_deep"))
    summary = {
        "alerts": figures["alerts"], "series": figures["series"], "requests": figures["requests"],
        "inbox_p95_ms": inbox_p95,
        **{f"{name}_p95_ms": timings[name]["p95_ms"] for name in ("inbox_first", "inbox_filtered", "inbox_deep")},
        "alert_page_p95_ms": timings["alert_page"]["p95_ms"],
        "inbox_cpu_p95_ms": max(timings[name]["cpu_p95_ms"] for name in ("inbox_first", "inbox_filtered", "inbox_deep")),
        "alert_page_cpu_p95_ms": timings["alert_page"]["cpu_p95_ms"],
        "under_goal": bool(max(inbox_p95, timings["alert_page"]["p95_ms"]) < goal),
        "fill_seconds": figures["fill_seconds"],
    }
    notes = [f"{figures['alerts']:,} alerts over {figures['series']:,} series ({figures['observations']:,} "
             f"observations, {figures['events']:,} alert events) on SQLite; {figures['requests']} requests a page, "
             f"in-process (TestClient: routing, queries, templates, chart; no network). Goal: p95 < {goal:.0f} ms.",
             f"Load average {figures['load_average'][0]} before, {figures['load_average'][1]} after, on "
             f"{figures['cpus']} CPUs: where the machine is busy, wall times grow and the CPU times (cpu_*) hold."]
    return BenchResult(tables=[("console: server time per page (ms)", table)], summary=summary, notes=notes)
