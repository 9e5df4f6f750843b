"""The webhook delivery worker: sends the outbox's events, in order, at least once.

One thread per app process. It wakes when a request commits new events (and every
``webhook_poll_interval_s``), takes a short lease on each subscription with due events
(so two processes never send one subscription's events at once), and POSTs that
subscription's oldest pending event. A failure is retried at once a few times with
exponential backoff (tenacity); if the burst fails the event stays pending with its
``attempts``, ``last_error`` and ``next_attempt_at``, and blocks the later events of its
subscription until it is delivered or, past ``webhook_max_age_s`` (or
``webhook_max_attempts``), dead-lettered as ``failed``. Database sessions are never held
open across an HTTP call.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx
from sqlalchemy import event, or_, select, update
from sqlalchemy.orm import Session, sessionmaker
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

from api.db import WebhookDelivery, WebhookSubscription
from api.db.models import utcnow
from api.services.webhooks import QUEUED
from api.settings import Settings
from api.signing import EVENT_HEADER, IDEMPOTENCY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from govperf_ml import __version__

logger = logging.getLogger("govperf.api.webhooks")
BATCH = 100  # events of one subscription per turn before the others get theirs
MAX_ERROR_CHARS = 500


class Undelivered(Exception):
    """The receiver did not answer 2xx."""

    def __init__(self, message: str, status_code: int | None = None):
        super().__init__(message)
        self.status_code = status_code


class _Stopping(Exception):
    """The worker is shutting down in the middle of a burst."""


@dataclass(frozen=True)
class Due:
    """The head event of one subscription, read in a short transaction."""

    id: int
    url: str
    secret: str = field(repr=False)
    event: str
    key: str
    body: bytes
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None


@dataclass(frozen=True)
class Outcome:
    ok: bool
    tries: int
    status_code: int | None = None
    error: str | None = None


class DeliveryWorker:
    """Delivers queued webhook events; :meth:`run_once` is one pass (tests call it)."""

    def __init__(
        self, session_factory: sessionmaker[Session], settings: Settings, *, client: httpx.Client | None = None,
        write_factory: sessionmaker[Session] | None = None,
    ):
        self._factory = session_factory  # reads
        self._writes = write_factory or session_factory  # on SQLite, writes take the writer's turn
        self._settings = settings
        self._owner = uuid.uuid4().hex
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._client = client or httpx.Client(
            timeout=settings.webhook_timeout_s,
            follow_redirects=False,
            headers={"User-Agent": f"govperf-ml/{__version__}"},
        )
        s = settings
        self._backoff = wait_exponential_jitter(
            initial=s.webhook_backoff_initial_s, max=s.webhook_backoff_max_s, jitter=s.webhook_backoff_initial_s
        )
        burst_waits = sum(
            min(s.webhook_backoff_max_s, s.webhook_backoff_initial_s * 2**i) for i in range(s.webhook_burst_attempts)
        )
        self._lease = timedelta(seconds=s.webhook_burst_attempts * s.webhook_timeout_s + burst_waits + 30)

    # -- life cycle -------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="govperf-webhooks", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Look for due events now (called after a commit that queued some)."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self._client.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                busy = self.run_once()
            except Exception:  # the worker must outlive a database hiccup
                logger.exception("webhook delivery pass failed")
                busy = False
            if not busy:
                self._wake.wait(self._settings.webhook_poll_interval_s)

    # -- one pass ---------------------------------------------------------------------
    def run_once(self) -> bool:
        """Work on every subscription with pending events; ``True`` if any event moved on."""
        with self._factory() as session:
            ids = session.execute(
                select(WebhookDelivery.subscription_id)
                .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
                .where(WebhookDelivery.status == "pending", WebhookSubscription.active)
                .distinct()
            ).scalars().all()
        progress = False
        for subscription_id in ids:
            if self._stop.is_set():
                break
            progress |= self._drain(subscription_id)
        return progress

    def _drain(self, subscription_id: int) -> bool:
        if not _is_due(self._head(subscription_id)) or not self._claim(subscription_id):
            return False  # (reading first spares a write while the head waits for its next attempt)
        progress = False
        try:
            for _ in range(BATCH):
                due = self._head(subscription_id)
                if not _is_due(due) or self._stop.is_set():
                    break
                if not self._claim(subscription_id):  # renew the lease for this event's burst
                    break
                outcome = self._send(due)
                self._record(subscription_id, due, outcome)
                if not outcome.ok and not self._expired(due, due.attempts + outcome.tries):
                    break  # the head blocks the rest until its next attempt
                progress = True
        finally:
            self._release(subscription_id)
        return progress

    # -- the lease --------------------------------------------------------------------
    def _claim(self, subscription_id: int) -> bool:
        now = utcnow()
        sub = WebhookSubscription
        stmt = (
            update(sub)
            .where(
                sub.id == subscription_id,
                or_(sub.lease_until.is_(None), sub.lease_until < now, sub.lease_owner == self._owner),
            )
            .values(lease_owner=self._owner, lease_until=now + self._lease)
        )
        with self._writes.begin() as session:
            return session.execute(stmt).rowcount == 1

    def _release(self, subscription_id: int) -> None:
        sub = WebhookSubscription
        with self._writes.begin() as session:
            session.execute(
                update(sub)
                .where(sub.id == subscription_id, sub.lease_owner == self._owner)
                .values(lease_owner=None, lease_until=None)
            )

    # -- reading and writing the outbox -----------------------------------------------
    def _head(self, subscription_id: int) -> Due | None:
        with self._factory() as session:
            row = session.execute(
                select(WebhookDelivery, WebhookSubscription)
                .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
                .where(
                    WebhookDelivery.subscription_id == subscription_id,
                    WebhookDelivery.status == "pending",
                    WebhookSubscription.active,
                )
                .order_by(WebhookDelivery.seq)
                .limit(1)
            ).first()
            if row is None:
                return None
            d, s = row
            body = json.dumps(d.payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            return Due(
                d.id, s.url, s.secret, d.event, d.idempotency_key, body, d.attempts, d.created_at, d.next_attempt_at
            )

    def _expired(self, due: Due, attempts: int) -> bool:
        s = self._settings
        too_old = (utcnow() - due.created_at).total_seconds() > s.webhook_max_age_s
        return too_old or (s.webhook_max_attempts > 0 and attempts >= s.webhook_max_attempts)

    def _record(self, subscription_id: int, due: Due, outcome: Outcome) -> None:
        now = utcnow()
        attempts = due.attempts + outcome.tries
        values: dict = dict(attempts=attempts, last_status_code=outcome.status_code)
        if outcome.tries:
            values["last_attempt_at"] = now
        if outcome.ok:
            values.update(status="delivered", delivered_at=now, next_attempt_at=None)
            summary = dict(last_delivered_at=now)
        else:
            error = (outcome.error or "undelivered")[:MAX_ERROR_CHARS]
            values.update(last_error=error)
            summary = dict(last_error=error, last_error_at=now)
            if self._expired(due, attempts):
                values.update(status="failed", next_attempt_at=None)
                logger.warning("webhook event %s dead-lettered after %d attempts: %s", due.key, attempts, error)
            else:
                values["next_attempt_at"] = now + timedelta(seconds=self._backoff(_attempt(attempts)))
                logger.info(
                    "webhook event %s undelivered after %d attempts (%s); next attempt at %s",
                    due.key, attempts, error, f"{values['next_attempt_at']:%Y-%m-%dT%H:%M:%SZ}",
                )
        with self._writes.begin() as session:
            session.execute(update(WebhookDelivery).where(WebhookDelivery.id == due.id).values(**values))
            session.execute(
                update(WebhookSubscription).where(WebhookSubscription.id == subscription_id).values(**summary)
            )

    # -- sending ----------------------------------------------------------------------
    def _post(self, due: Due, attempt: int) -> int:
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            EVENT_HEADER: due.event,
            IDEMPOTENCY_HEADER: due.key,
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(due.secret, timestamp, due.body),
            "X-Govperf-Delivery-Attempt": str(attempt),
        }
        try:
            response = self._client.post(due.url, content=due.body, headers=headers)
        except httpx.HTTPError as exc:
            raise Undelivered(f"{type(exc).__name__}: {exc}") from exc
        if not 200 <= response.status_code < 300:
            raise Undelivered(f"HTTP {response.status_code}", response.status_code)
        return response.status_code

    def _sleep(self, seconds: float) -> None:
        if self._stop.wait(seconds):
            raise _Stopping

    def _send(self, due: Due) -> Outcome:
        """One burst of attempts with exponential backoff between them."""
        tries = 0
        retrying = Retrying(
            stop=stop_after_attempt(self._settings.webhook_burst_attempts),
            wait=self._backoff,
            retry=retry_if_exception_type(Undelivered),
            sleep=self._sleep,
            reraise=True,
        )
        last: Undelivered | None = None
        try:
            for attempt in retrying:
                with attempt:
                    tries += 1
                    try:
                        code = self._post(due, due.attempts + tries)
                    except Undelivered as exc:
                        last = exc
                        raise
                    return Outcome(True, tries, status_code=code)
        except (Undelivered, _Stopping):
            pass
        return Outcome(False, tries, last.status_code if last else None, str(last) if last else "stopped")


def _is_due(due: Due | None) -> bool:
    return due is not None and (due.next_attempt_at is None or due.next_attempt_at <= utcnow())


def _attempt(number: int) -> RetryCallState:
    """A tenacity retry state at ``number`` attempts, to read the backoff schedule."""
    state = RetryCallState(retry_object=None, fn=None, args=(), kwargs={})
    state.attempt_number = max(1, number)
    return state


def start_delivery(
    session_factory: sessionmaker[Session], settings: Settings, write_factory: sessionmaker[Session] | None = None
) -> DeliveryWorker | None:
    """Start the worker (unless ``webhooks_enabled`` is off) and wake it after every commit
    that queued events (requests write through ``write_factory`` when given)."""
    if not settings.webhooks_enabled:
        return None
    worker = DeliveryWorker(session_factory, settings, write_factory=write_factory)

    def after_commit(session: Session) -> None:
        if session.info.pop(QUEUED, False):
            worker.wake()

    def after_rollback(session: Session) -> None:
        session.info.pop(QUEUED, None)

    for factory in {session_factory, write_factory or session_factory}:
        event.listen(factory, "after_commit", after_commit)
        event.listen(factory, "after_rollback", after_rollback)
    worker.start()
    return worker
