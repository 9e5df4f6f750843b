"""Service settings, read from the environment (prefix ``GOVPERF_``).

Nothing here is a module-level singleton: :func:`get_settings` builds the settings once
and caches them, and tests replace it with ``app.dependency_overrides[get_settings]`` or
pass a :class:`Settings` to :func:`api.main.create_app`.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROLES = ("scoring_core", "supervisor", "analyst", "handler")


class Settings(BaseSettings):
    """Configuration of the HTTP service.

    Every field can be set with an environment variable ``GOVPERF_<FIELD>``; lists and
    dicts are given as JSON, e.g.
    ``GOVPERF_API_KEYS='{"a-secret-of-16-chars-or-more": "supervisor"}'``.
    """

    model_config = SettingsConfigDict(env_prefix="GOVPERF_", extra="ignore", frozen=True)

    database_url: str = Field(
        "sqlite:///var/govperf.db",
        description="SQLAlchemy URL; a relative SQLite path is relative to the working "
        "directory and its folder is created. PostgreSQL: postgresql+psycopg://...",
    )
    mlflow_tracking_uri: str | None = Field(
        None, description="MLflow tracking/registry URI; None uses the library's default store."
    )
    api_keys_file: Path = Field(
        Path("var/api_keys.json"), description="JSON file of sha256-hashed API keys and their roles."
    )
    api_keys: dict[str, str] | None = Field(
        None,
        description="API keys from the environment as JSON {key: role}; replaces the keys "
        "file when set. A key may also be given hashed as 'sha256:<hex>'.",
    )
    review_threshold: float = Field(
        0.6,
        ge=0.0,
        le=1.0,
        description="Feedback with area confidence below this goes to the review queue (as do "
        "messages the model itself flags).",
    )
    late_after_days: int = Field(
        45,
        ge=0,
        description="A value that arrives more than this many days after its period ended raises a "
        "data_quality alert (late submission). Only series with stored history are checked: loading a "
        "new series' back history is not late.",
    )
    auth_failures_per_minute: int = Field(
        30,
        ge=1,
        description="Invalid API keys one client address may send per moving minute; past it every "
        "request from that address gets 429 with Retry-After until the minute moves on.",
    )
    db_busy_timeout_s: float = Field(
        5.0,
        gt=0,
        le=60,
        description="How long a request waits for a locked database or a pooled connection before "
        "it is answered 503 with Retry-After (and rolled back).",
    )
    db_pool_size: int = Field(
        20,
        ge=1,
        le=500,
        description="Database connections kept open (SQLAlchemy pool_size). With db_max_overflow it bounds "
        "the connections one server process opens: keep their sum under PostgreSQL's max_connections "
        "(100 by default) divided by the number of server processes.",
    )
    db_max_overflow: int = Field(
        20,
        ge=0,
        le=500,
        description="Connections opened beyond db_pool_size at peaks and closed after. The default 20 + 20 "
        "covers the 40 worker threads of one process, so a request waits for a connection only when "
        "the database itself is slow (then 503 after db_busy_timeout_s).",
    )
    compute_concurrency: int = Field(
        1,
        ge=1,
        le=256,
        description="Model-heavy requests (forecasts, target risk, feedback classification, ingest, large "
        "scoring requests, the sample city) run at most this many at a time per server process; the "
        "others wait their turn without holding a worker thread, so reads and single-series scoring stay "
        "fast. One process runs Python on one core at a time (the GIL): a second heavy request at once "
        "adds little throughput and slows every read (measured with govperf bench load); use "
        "GOVPERF_WORKERS for more cores.",
    )
    compute_queue_timeout_s: float = Field(
        15.0,
        gt=0,
        le=60,
        description="How long a model-heavy request waits for its turn before it is answered 503 with "
        "Retry-After.",
    )
    max_body_bytes: int = Field(
        16 * 2**20,
        ge=1024,
        description="Largest request body accepted (bytes); larger ones get 413 before they are read. "
        "16 MiB holds the largest scoring request (200,000 series points).",
    )
    webhooks_enabled: bool = Field(
        True,
        description="Run the webhook delivery worker in this process. Alert events are queued in the "
        "outbox whatever this says; with it off, another process (or a later start) delivers them.",
    )
    webhook_poll_interval_s: float = Field(
        1.0, gt=0, le=60, description="How often the delivery worker looks for due events when nothing wakes it."
    )
    webhook_timeout_s: float = Field(10.0, gt=0, le=120, description="Timeout of one webhook POST (connect and read).")
    webhook_burst_attempts: int = Field(
        3,
        ge=1,
        le=10,
        description="Attempts in one go (with the backoff between them) before an event is put back in the "
        "outbox with its next attempt time.",
    )
    webhook_backoff_initial_s: float = Field(
        1.0, gt=0, le=3600, description="First backoff wait after a failed attempt; doubles with each attempt."
    )
    webhook_backoff_max_s: float = Field(
        300.0, gt=0, le=86400, description="Longest backoff wait between two attempts of one event."
    )
    webhook_max_age_s: float = Field(
        86400.0,
        gt=0,
        description="An event still undelivered this long after it happened is dead-lettered (status "
        "failed, visible in GET /v1/subscriptions) and the events after it move on.",
    )
    webhook_max_attempts: int = Field(
        0, ge=0, description="Dead-letter an event after this many failed attempts; 0: no limit (max age decides)."
    )
    metrics_public: bool = Field(
        False,
        description="Serve GET /metrics (Prometheus) to anyone who can reach the port; false: it needs an API "
        "key of any role (X-API-Key or Authorization: Bearer).",
    )
    model_reload_interval_s: float = Field(
        30.0,
        ge=0,
        description="Every this many seconds the service asks the registry which version each champion alias "
        "points at (one call per capability) and loads the ones that moved; 0 turns the check off "
        "(POST /v1/admin/models/reload still works).",
    )
    log_format: Literal["json", "text"] = Field(
        "json",
        description="`govperf serve` logs one JSON object per line for every logger (request id, route, "
        "status, latency, model versions; never bodies or query strings); 'text' gives uvicorn's plain lines.",
    )
    console_cookie_secure: bool = Field(
        False, description="Send the web console's cookies with Secure (only over HTTPS); set true behind TLS."
    )
    console_session_hours: float = Field(12.0, gt=0, le=24 * 30, description="A console sign-in lasts this long.")
    console_lockout_delay_s: float = Field(
        5.0, ge=0, le=60, description="After 5 failed console sign-ins for one user name, each further attempt "
        "waits this long (and is logged) until one succeeds or 15 minutes pass."
    )
    workers: int = Field(
        1,
        ge=1,
        le=64,
        description="Server processes of `govperf serve` (uvicorn workers). Each loads the models and has "
        "its own pool (db_pool_size + db_max_overflow connections) and compute turns.",
    )
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    cors_origins: list[str] = Field(default_factory=list)

    @field_validator("api_keys")
    @classmethod
    def _known_roles(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        if value is None:
            return None
        for key, role in value.items():
            if role not in ROLES:
                raise ValueError(f"unknown role {role!r}; roles are {list(ROLES)}")
            if not key or len(key) < 16:
                raise ValueError("API keys must be at least 16 characters long")
        return value


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (cached). Override in tests via dependency_overrides."""
    return Settings()
