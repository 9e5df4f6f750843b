"""Webhook subscriptions and the outbox they are fed through.

:func:`enqueue` is called by the alert service in the alert's own transaction: an alert
that is rolled back leaves no event behind, and a committed one always has its events.
The delivery worker (:mod:`api.delivery`) sends them.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from api.auth import Principal
from api.db import Alert, WebhookDelivery, WebhookSubscription
from api.db.models import utcnow
from api.schemas.alerts import AlertPublic
from api.schemas.webhooks import DeliveryStats, SubscriptionPublic, SubscriptionUpsert

CREATED, UPDATED = "alert.created", "alert.updated"
#: the session.info flag that tells the worker (after commit) that events were queued
QUEUED = "webhooks_queued"


def idempotency_key(alert: Alert) -> str:
    """Stable per alert event: its id and the status it entered (each is entered at most
    once, as the lifecycle has no cycles), e.g. ``alert-42-open``."""
    return f"alert-{alert.id}-{alert.status}"


def event_payload(alert: Alert, event: str) -> dict:
    """The JSON body of one event: what happened and the alert as it is now."""
    return {
        "id": idempotency_key(alert),
        "type": event,
        "seq": alert.seq,
        "alert": AlertPublic.model_validate(alert).model_dump(mode="json"),
    }


def _wants(subscription: WebhookSubscription, alert: Alert, event: str) -> bool:
    return (subscription.kinds is None or alert.kind in subscription.kinds) and (
        subscription.events is None or event in subscription.events
    )


def enqueue(session: Session, alerts: Sequence[Alert], event: str) -> int:
    """Queue ``event`` of each (flushed) alert for every active subscription that wants it."""
    if not alerts:
        return 0
    subscriptions = session.execute(select(WebhookSubscription).where(WebhookSubscription.active)).scalars().all()
    rows = [
        WebhookDelivery(
            subscription_id=s.id,
            alert_id=a.id,
            seq=a.seq,
            event=event,
            idempotency_key=idempotency_key(a),
            payload=event_payload(a, event),
            status="pending",
            attempts=0,
        )
        for a in sorted(alerts, key=lambda a: a.seq)
        for s in subscriptions
        if _wants(s, a, event)
    ]
    if rows:
        session.add_all(rows)
        session.flush()
        session.info[QUEUED] = True
    return len(rows)


def get_subscription(session: Session, principal: Principal) -> WebhookSubscription | None:
    stmt = select(WebhookSubscription).where(WebhookSubscription.consumer == principal.key_id)
    return session.execute(stmt).scalar_one_or_none()


def upsert_subscription(
    session: Session, principal: Principal, body: SubscriptionUpsert
) -> tuple[WebhookSubscription, bool]:
    """Create or replace the caller's subscription; ``True`` when it is new."""
    found = get_subscription(session, principal)
    fields = dict(url=str(body.url), secret=body.secret, kinds=body.kinds, events=body.events, active=body.active)
    if found is None:
        found = WebhookSubscription(consumer=principal.key_id, role=principal.role, **fields)
        session.add(found)
        session.flush()
        return found, True
    changed = any(getattr(found, k) != v for k, v in fields.items())
    for k, v in fields.items():
        setattr(found, k, v)
    if changed:
        found.updated_at = utcnow()
    session.flush()
    return found, False


def delete_subscription(session: Session, principal: Principal) -> bool:
    """Remove the caller's subscription and its queued and past deliveries."""
    found = get_subscription(session, principal)
    if found is None:
        return False
    session.execute(delete(WebhookDelivery).where(WebhookDelivery.subscription_id == found.id))
    session.delete(found)
    session.flush()
    return True


def delivery_stats(session: Session, subscription: WebhookSubscription) -> DeliveryStats:
    mine = WebhookDelivery.subscription_id == subscription.id
    counts = dict(
        session.execute(select(WebhookDelivery.status, func.count()).where(mine).group_by(WebhookDelivery.status)).all()
    )
    head = session.execute(
        select(WebhookDelivery.next_attempt_at)
        .where(mine, WebhookDelivery.status == "pending")
        .order_by(WebhookDelivery.seq)
        .limit(1)
    ).scalar_one_or_none()
    return DeliveryStats(
        pending=counts.get("pending", 0),
        delivered=counts.get("delivered", 0),
        failed=counts.get("failed", 0),
        last_error=subscription.last_error,
        last_error_at=subscription.last_error_at,
        last_delivered_at=subscription.last_delivered_at,
        next_attempt_at=head,
    )


def subscription_public(session: Session, subscription: WebhookSubscription) -> SubscriptionPublic:
    """The caller's view: never the secret."""
    return SubscriptionPublic(
        consumer=subscription.consumer,
        url=subscription.url,
        kinds=subscription.kinds,
        events=subscription.events,
        active=subscription.active,
        created_at=subscription.created_at,
        updated_at=subscription.updated_at,
        deliveries=delivery_stats(session, subscription),
    )


def outbox_depth(session_factory) -> float:
    """Events waiting for delivery, all subscriptions (the ``/metrics`` queue depth)."""
    with session_factory() as session:
        return float(session.scalar(select(func.count()).where(WebhookDelivery.status == "pending")) or 0)
