"""ORM tables (SQLAlchemy 2.0, typed ``Mapped[...]``).

Only portable column types are used, so the same models run on SQLite (the default)
and PostgreSQL. Period timestamps (``ds``) are naive; bookkeeping timestamps are UTC,
stored naive and returned timezone-aware (:class:`UtcDateTime`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from govperf_ml.vocabulary import (  # noqa: F401  (re-exported through api.db)
    AGGREGATIONS,
    ALERT_KINDS,
    ALERT_STATUSES,
    DIRECTIONS,
    FEEDBACK_STATUSES,
    RISK_STATUSES,
    SEVERITIES,
)

# Deterministic constraint names, so migrations can refer to them on every backend.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _one_of(column: str, values: tuple[str, ...], name: str) -> CheckConstraint:
    allowed = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=name)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator):
    """A UTC timestamp: stored naive (portable), returned with ``tzinfo=UTC``."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None else None


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, list[str]: JSON}


class Counter(Base):
    """Named counters. ``alert_seq`` hands out alert cursor values under a row lock,
    so cursor order is commit order."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class Observation(Base):
    """One indicator value for one unit and period, as sent by the scoring core."""

    __tablename__ = "observations"
    __table_args__ = (
        UniqueConstraint("unique_id", "ds"),
        Index("ix_observations_org_unit_indicator", "org_unit", "indicator"), Index("ix_observations_indicator_ds", "indicator", "ds"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_unit: Mapped[str] = mapped_column(String(200))
    indicator: Mapped[str] = mapped_column(String(200))
    unique_id: Mapped[str] = mapped_column(String(401))
    ds: Mapped[datetime] = mapped_column(DateTime)
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    direction: Mapped[str | None] = mapped_column(String(16), nullable=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class Alert(Base):
    """A risk alert for one series, period and kind.

    ``seq`` is taken from the ``alert_seq`` counter when the alert is created and again whenever
    its status changes, so ``after_seq`` paging is a feed of new and changed alerts.
    """

    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint("unique_id", "ds", "kind"),
        Index("ix_alerts_org_unit_indicator", "org_unit", "indicator"),
        Index("ix_alerts_status", "status"), Index("ix_alerts_kind_status_severity", "kind", "status", "severity"),
        Index("ix_alerts_ds_id", "ds", "id"), Index("ix_alerts_indicator_ds", "indicator", "ds"),  # the console's inbox
        _one_of("kind", ALERT_KINDS, "kind"),
        _one_of("severity", SEVERITIES, "severity"),
        _one_of("status", ALERT_STATUSES, "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    unique_id: Mapped[str] = mapped_column(String(401))
    org_unit: Mapped[str] = mapped_column(String(200))
    indicator: Mapped[str] = mapped_column(String(200))
    ds: Mapped[datetime] = mapped_column(DateTime)
    kind: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(16))
    observed: Mapped[float | None] = mapped_column(Float, nullable=True)
    expected: Mapped[float | None] = mapped_column(Float, nullable=True)
    lower: Mapped[float | None] = mapped_column(Float, nullable=True)
    upper: Mapped[float | None] = mapped_column(Float, nullable=True)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    detectors: Mapped[list[str]] = mapped_column(JSON, default=list)
    reason_en: Mapped[str] = mapped_column(Text, default="")
    reason_zh: Mapped[str] = mapped_column(Text, default="")
    model_version: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="open")
    status_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)

    events: Mapped[list[AlertEvent]] = relationship(
        back_populates="alert", order_by="AlertEvent.id", cascade="all, delete-orphan"
    )


class AlertEvent(Base):
    """One status change of an alert (its creation included)."""

    __tablename__ = "alert_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    to_status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    actor_role: Mapped[str] = mapped_column(String(32))
    actor_key: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    alert: Mapped[Alert] = relationship(back_populates="events")


class FeedbackMessage(Base):
    """A citizen message with its predicted tags. Holds the PII-masked text only."""

    __tablename__ = "feedback_messages"
    __table_args__ = (
        Index("ix_feedback_messages_status", "status"),
        _one_of("status", FEEDBACK_STATUSES, "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[str] = mapped_column(String(128), unique=True)
    masked_text: Mapped[str] = mapped_column(Text)
    channel: Mapped[str | None] = mapped_column(String(32), nullable=True)
    received_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    org_unit: Mapped[str | None] = mapped_column(String(200), nullable=True)
    area: Mapped[str | None] = mapped_column(String(64), nullable=True)
    area_confidence: Mapped[float | None] = mapped_column(Float, nullable=True)
    area_probabilities: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    dimensions: Mapped[list[str]] = mapped_column(JSON, default=list)
    dimension_probabilities: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False)
    model_version: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)

    corrections: Mapped[list[FeedbackCorrection]] = relationship(
        back_populates="message", order_by="FeedbackCorrection.id", cascade="all, delete-orphan"
    )


class FeedbackCorrection(Base):
    """A handler's confirmed or corrected labels for a message (training data)."""

    __tablename__ = "feedback_corrections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[str] = mapped_column(ForeignKey("feedback_messages.message_id", ondelete="CASCADE"), index=True)
    area: Mapped[str] = mapped_column(String(64))
    dimensions: Mapped[list[str]] = mapped_column(JSON, default=list)
    handler_role: Mapped[str] = mapped_column(String(32))
    handler_key: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    message: Mapped[FeedbackMessage] = relationship(back_populates="corrections")


class Target(Base):
    """A stored target of one series, with its latest risk assessment.

    The target is set by ``PUT /v1/targets`` (upsert by ``target_id``). The ``risk_*``
    columns hold the latest assessment by the targets champion: written when the target
    is created or changed and whenever observations of its series arrive; all null
    until the series has observations.
    """

    __tablename__ = "targets"
    __table_args__ = (
        Index("ix_targets_unique_id", "unique_id"),
        Index("ix_targets_org_unit_indicator", "org_unit", "indicator"),
        Index("ix_targets_risk_status", "risk_status"),
        _one_of("direction", DIRECTIONS, "direction"),
        _one_of("aggregation", AGGREGATIONS, "aggregation"),
        _one_of("risk_status", RISK_STATUSES, "risk_status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target_id: Mapped[str] = mapped_column(String(420), unique=True)
    unique_id: Mapped[str] = mapped_column(String(401))
    org_unit: Mapped[str] = mapped_column(String(200))
    indicator: Mapped[str] = mapped_column(String(200))
    target: Mapped[float] = mapped_column(Float)
    start: Mapped[date] = mapped_column(Date)
    deadline: Mapped[date] = mapped_column(Date)
    direction: Mapped[str] = mapped_column(String(16))
    aggregation: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # when the definition last changed (set by the upsert; a new assessment leaves it)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # the latest assessment
    risk_status: Mapped[str | None] = mapped_column(String(8), nullable=True)
    p_miss: Mapped[float | None] = mapped_column(Float, nullable=True)
    projected: Mapped[float | None] = mapped_column(Float, nullable=True)
    projected_lo: Mapped[float | None] = mapped_column(Float, nullable=True)
    projected_hi: Mapped[float | None] = mapped_column(Float, nullable=True)
    required_rate: Mapped[float | None] = mapped_column(Float, nullable=True)
    current_rate: Mapped[float | None] = mapped_column(Float, nullable=True)
    current_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    as_of: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    reason_en: Mapped[str | None] = mapped_column(Text, nullable=True)
    reason_zh: Mapped[str | None] = mapped_column(Text, nullable=True)
    model_version: Mapped[str | None] = mapped_column(String(200), nullable=True)
    assessed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # the outcome, once the series' values cover the deadline (revised values update it)
    achieved: Mapped[float | None] = mapped_column(Float, nullable=True)
    missed: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class TargetAssessment(Base):
    """One assessment of an open target: its status and ``p_miss`` as of one period, by one
    model version (the latest assessment of that period wins).

    Once the target is decided, these are what the calibration watch compares with the
    outcome (:mod:`api.services.target_drift`).
    """

    __tablename__ = "target_assessments"
    __table_args__ = (
        UniqueConstraint("target_id", "as_of", "model_version"),
        _one_of("status", RISK_STATUSES, "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target_id: Mapped[str] = mapped_column(String(420), ForeignKey("targets.target_id", ondelete="CASCADE"))
    as_of: Mapped[datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(8))
    p_miss: Mapped[float | None] = mapped_column(Float, nullable=True)
    model_version: Mapped[str] = mapped_column(String(200))
    assessed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Forecast(Base):
    """One stored point forecast of one series and period, with its 80/95 % intervals.

    A forecast *run* is one series forecast by one model version from one ``cutoff``
    (the last period of the history it saw); ``h_step`` counts the periods after the
    cutoff (1..h). Without ``run_id`` (the sample city) storing is idempotent on (unique_id,
    ds, model_version, cutoff); rows of a ``ForecastRun`` are unique within it. ``org_unit``
    and ``channel`` are the halves of ``unique_id`` (``<org_unit>|<channel>``), for filters.
    """

    __tablename__ = "forecasts"
    __table_args__ = (  # no run (the sample city): unique per series, period, model, cutoff; a run's: per run
        Index("uq_forecasts_unique_id_ds_model_version_cutoff", "unique_id", "ds", "model_version", "cutoff",
              unique=True, sqlite_where=text("run_id IS NULL"), postgresql_where=text("run_id IS NULL")),
        UniqueConstraint("run_id", "unique_id", "ds"),
        Index("ix_forecasts_unique_id_cutoff", "unique_id", "cutoff"),
        Index("ix_forecasts_org_unit_channel", "org_unit", "channel"),
        Index("ix_forecasts_unique_id_ds", "unique_id", "ds"),  # actuals arriving find their forecasts
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unique_id: Mapped[str] = mapped_column(String(401))
    org_unit: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(200))
    ds: Mapped[datetime] = mapped_column(DateTime)
    h_step: Mapped[int] = mapped_column(Integer)
    mean: Mapped[float | None] = mapped_column(Float, nullable=True)
    lo_80: Mapped[float | None] = mapped_column(Float, nullable=True)
    hi_80: Mapped[float | None] = mapped_column(Float, nullable=True)
    lo_95: Mapped[float | None] = mapped_column(Float, nullable=True)
    hi_95: Mapped[float | None] = mapped_column(Float, nullable=True)
    cutoff: Mapped[datetime] = mapped_column(DateTime)
    model_version: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("forecast_runs.id", ondelete="CASCADE"), nullable=True)
    level: Mapped[str | None] = mapped_column(String(200), nullable=True)  # the node's level in the run
    # the accuracy watch: MASE's scale of the history it was made from; the actual once ingested
    scale: Mapped[float | None] = mapped_column(Float, nullable=True)
    actual: Mapped[float | None] = mapped_column(Float, nullable=True)
    scored_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


RECONCILIATIONS = ("bottom_up", "ols", "mint_shrink", "none")


class ForecastRun(Base):
    """``POST /v1/forecast-runs``: every node of a user's hierarchy (``hierarchy``, as posted)
    forecast by one model version from one cutoff and reconciled by one method. ``series``
    counts the nodes, ``bottom`` the posted bottom series; ``created_by_key`` is the
    ``Principal.key_id``, with ``idempotency_key`` unique per key."""

    __tablename__ = "forecast_runs"
    __table_args__ = (
        UniqueConstraint("created_by_key", "idempotency_key"),
        _one_of("reconciliation", RECONCILIATIONS, "reconciliation"),
        _one_of("status", ("completed",), "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    model_version: Mapped[str] = mapped_column(String(200))
    cutoff: Mapped[datetime] = mapped_column(DateTime)
    h: Mapped[int] = mapped_column(Integer)
    reconciliation: Mapped[str] = mapped_column(String(16))
    hierarchy: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="completed")
    series: Mapped[int] = mapped_column(Integer)
    bottom: Mapped[int] = mapped_column(Integer)
    created_by_role: Mapped[str] = mapped_column(String(32))
    created_by_key: Mapped[str] = mapped_column(String(16))
    idempotency_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    request_hash: Mapped[str] = mapped_column(String(64))  # sha256 of the request: a reused key must match


WEBHOOK_EVENTS = ("alert.created", "alert.updated")
DELIVERY_STATUSES = ("pending", "delivered", "failed")


class WebhookSubscription(Base):
    """One consumer's webhook: where its alert events are pushed and the secret that signs them.

    The consumer is the API key's fingerprint (``Principal.key_id``): one subscription per
    key. ``secret`` is stored as given (it is needed to sign) and never returned.
    ``kinds`` (alert kinds) and ``events`` (event types) filter what is queued; null means
    all. ``lease_owner``/``lease_until`` let one delivery worker at a time work on it;
    ``last_error``/``last_delivered_at`` summarise its deliveries.
    """

    __tablename__ = "webhook_subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consumer: Mapped[str] = mapped_column(String(16), unique=True)
    role: Mapped[str] = mapped_column(String(32))
    url: Mapped[str] = mapped_column(String(2048))
    secret: Mapped[str] = mapped_column(String(256))
    kinds: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    events: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    lease_owner: Mapped[str | None] = mapped_column(String(32), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_error_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class WebhookDelivery(Base):
    """The outbox: one alert event for one subscription, written in the alert's transaction.

    Delivered in ``seq`` order per subscription (the alert's cursor value when the event
    happened); the oldest pending row blocks the later ones until it is delivered or
    dead-lettered (``failed``). ``payload`` is the event body as it was when it happened.
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("subscription_id", "idempotency_key"),
        Index("ix_webhook_deliveries_subscription_id_status_seq", "subscription_id", "status", "seq"),
        _one_of("event", WEBHOOK_EVENTS, "event"),
        _one_of("status", DELIVERY_STATUSES, "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"))
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    event: Mapped[str] = mapped_column(String(32))
    idempotency_key: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
