"""Webhook subscriptions: the caller's own, managed by the scoring core's keys."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Response
from fastapi import status as http
from sqlalchemy import select

from api.retry import RetryOnConflict
from api.auth import Subscriber
from api.db import WebhookDelivery
from api.deps import PageDep, SessionDep
from api.schemas.webhooks import (
    DeliveriesPublic,
    DeliveryPublic,
    DeliveryStatus,
    SubscriptionPublic,
    SubscriptionUpsert,
)
from api.services import count
from api.services import webhooks as service

router = APIRouter(prefix="/v1/subscriptions", tags=["webhooks"], route_class=RetryOnConflict)  # upserts: see api.retry
NOT_FOUND = {404: {"description": "This key has no subscription"}}


def _missing() -> HTTPException:
    return HTTPException(http.HTTP_404_NOT_FOUND, "this API key has no webhook subscription")


@router.put(
    "",
    response_model=SubscriptionPublic,
    responses={201: {"description": "Created", "model": SubscriptionPublic}},
    summary="Create or replace this key's webhook subscription",
    description=(
        "Idempotent: the same body again changes nothing. Events of alerts created or changed "
        "from now on are POSTed to `url`, signed with `secret`, in cursor (`seq`) order; earlier "
        "alerts stay readable through `GET /v1/alerts?after_seq=`."
    ),
)
def put_subscription(principal: Subscriber, body: SubscriptionUpsert, session: SessionDep, response: Response):
    subscription, created = service.upsert_subscription(session, principal, body)
    if created:
        response.status_code = http.HTTP_201_CREATED
    return service.subscription_public(session, subscription)


@router.get(
    "", response_model=SubscriptionPublic, responses=NOT_FOUND, summary="This key's subscription and delivery stats"
)
def get_subscription(principal: Subscriber, session: SessionDep) -> SubscriptionPublic:
    subscription = service.get_subscription(session, principal)
    if subscription is None:
        raise _missing()
    return service.subscription_public(session, subscription)


@router.delete(
    "",
    status_code=http.HTTP_204_NO_CONTENT,
    responses=NOT_FOUND,
    summary="Remove this key's subscription and its queued events",
)
def delete_subscription(principal: Subscriber, session: SessionDep) -> Response:
    if not service.delete_subscription(session, principal):
        raise _missing()
    return Response(status_code=http.HTTP_204_NO_CONTENT)


@router.get(
    "/deliveries",
    response_model=DeliveriesPublic,
    responses=NOT_FOUND,
    summary="This subscription's events, in delivery order",
    description="`status=failed` lists the dead-lettered events (read their alerts with `GET /v1/alerts/{id}`).",
)
def list_deliveries(
    principal: Subscriber,
    session: SessionDep,
    page: PageDep,
    status: Annotated[DeliveryStatus | None, Query(description="Only events in this state")] = None,
) -> DeliveriesPublic:
    subscription = service.get_subscription(session, principal)
    if subscription is None:
        raise _missing()
    stmt = select(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription.id)
    if status is not None:
        stmt = stmt.where(WebhookDelivery.status == status)
    total = count(session, stmt)
    rows = session.execute(stmt.order_by(WebhookDelivery.seq).limit(page.limit).offset(page.offset)).scalars()
    return DeliveriesPublic(data=[DeliveryPublic.model_validate(r) for r in rows], count=total)
