"""The server side of ``govperf bench load``: a database, the service as a subprocess, the
sample city loaded into it, and the check that every acknowledged write is there.

The service is started as ``python -m api.cli serve`` (so this library never imports
the service) with a temporary database and API keys, and an MLflow store under the
cache folder: the first run trains the models on the sample city, later runs (and the
second database) reuse them.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from govperf_ml.bench.postgres import free_port, local_postgres

ROLES = ("scoring_core", "supervisor", "analyst", "handler")
REPO = Path(__file__).resolve().parents[2]  # the folder holding govperf_ml/ and api/


class ServerFailed(RuntimeError):
    """The service did not come up (its log's tail is in the message)."""


@contextlib.contextmanager
def database(kind: str, folder: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file in ``folder`` or a local PostgreSQL server."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'govperf.db'}"
    else:
        with local_postgres() as url:
            yield url


@contextlib.contextmanager
def service(database_url: str, *, cache: Path, env: dict | None = None, ready_s: float = 900) -> Iterator["Service"]:
    """The API on a free 127.0.0.1 port, ready (``/readyz`` 200); stopped at exit."""
    with tempfile.TemporaryDirectory(prefix="govperf-load-") as tmp:
        keys = {role: secrets.token_urlsafe(24) for role in ROLES}
        port = free_port()
        log = Path(tmp) / "server.log"
        child_env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
            "GOVPERF_HOME": str(cache),
            "GOVPERF_DATABASE_URL": database_url,
            "GOVPERF_API_KEYS": json.dumps({key: role for role, key in keys.items()}),
            "GOVPERF_API_KEYS_FILE": str(Path(tmp) / "api_keys.json"),
            **(env or {}),
        }
        for name in ("MLFLOW_TRACKING_URI", "GOVPERF_MLFLOW_TRACKING_URI"):
            child_env.pop(name, None)
        cache.mkdir(parents=True, exist_ok=True)
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "api.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
                cwd=tmp, env=child_env, stdout=out, stderr=subprocess.STDOUT,
            )
        server = Service(f"http://127.0.0.1:{port}", keys, proc, log)
        try:
            server.wait_ready(ready_s)
            yield server
        finally:
            server.stop()


class Service:
    def __init__(self, base_url: str, keys: dict, proc: subprocess.Popen, log: Path):
        self.base_url, self.keys, self.proc, self.log = base_url, keys, proc, log

    def headers(self, role: str) -> dict:
        return {"X-API-Key": self.keys[role]}

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerFailed(f"the service exited ({self.proc.returncode}):\n{self.log_tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.base_url}/readyz", timeout=2).status_code == 200:
                    return
            time.sleep(0.5)
        raise ServerFailed(f"the service was not ready after {timeout_s:.0f} s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def server_errors_logged(self) -> int:
        """Unhandled exceptions the service logged (each one a 500)."""
        return self.log_tail(10**9).count("unhandled ")


def load_sample_city(server: Service, months: int = 6) -> dict:
    """POST /v1/admin/sample-city; returns what the workload draws on (alert ids ...)."""
    with httpx.Client(base_url=server.base_url, headers=server.headers("scoring_core"), timeout=600) as client:
        r = client.post("/v1/admin/sample-city", json={"months": months})
        r.raise_for_status()
        alerts = client.get("/v1/alerts", params={"limit": 1000}).json()["data"]
        targets = client.get("/v1/targets", params={"limit": 50}).json()["data"]
    return {
        "alert_ids": [a["id"] for a in alerts],
        "open_alert_ids": [a["id"] for a in alerts if a["status"] == "open"],
        "target_ids": [t["target_id"] for t in targets],
    }


def verify_writes(server: Service, observations: list[dict], acknowledged_alerts: list[int]) -> int:
    """How many acknowledged writes are missing: each observation sent again must come back
    ``unchanged`` (the upsert is idempotent, so a stored value is not written twice), and each
    acknowledged alert must no longer be open."""
    lost = 0
    with httpx.Client(base_url=server.base_url, headers=server.headers("scoring_core"), timeout=300) as client:
        for i in range(0, len(observations), 500):
            chunk = observations[i : i + 500]
            r = client.post("/v1/observations", json={"observations": chunk})
            lost += len(chunk) - (r.json()["unchanged"] if r.status_code == 200 else 0)
        for alert_id in acknowledged_alerts:
            r = client.get(f"/v1/alerts/{alert_id}")
            if r.status_code != 200 or r.json()["status"] == "open":
                lost += 1
    return lost
