"""The queries of webhook subscriptions, the outbox of events and their deliveries.

Run inside units of work (store.unit_of_work), like records.py; the worker claims deliveries
with a conditional UPDATE, so two workers never send the same one at once.
"""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, delete, exists, or_, select, update
from sqlalchemy.orm import aliased

from factcheck.storage.db import db
from factcheck.storage.models import (
    PENDING,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)


def subscriptions(organization_id: int) -> Sequence[WebhookSubscription]:
    return db.session.scalars(
        select(WebhookSubscription)
        .where(WebhookSubscription.organization_id == organization_id)
        .order_by(WebhookSubscription.id)
    ).all()


def listening(organization_id: int, event_type: str) -> list[WebhookSubscription]:
    return [
        subscription
        for subscription in subscriptions(organization_id)
        if subscription.enabled and event_type in subscription.event_list
    ]


def deliveries(subscription_id: int, limit: int) -> Sequence[WebhookDelivery]:
    return db.session.scalars(
        select(WebhookDelivery)
        .where(WebhookDelivery.subscription_id == subscription_id)
        .order_by(WebhookDelivery.id.desc())
        .limit(limit)
    ).all()


def due(now: datetime, limit: int) -> Sequence[WebhookDelivery]:
    """Pending deliveries whose time has come, not held by a worker, of an enabled subscription,
    and with no earlier pending delivery of the same subject to it: that one goes first."""
    earlier = aliased(WebhookDelivery)
    blocked = exists().where(
        earlier.subscription_id == WebhookDelivery.subscription_id,
        earlier.subject == WebhookDelivery.subject,
        earlier.status == PENDING,
        earlier.id < WebhookDelivery.id,
    )
    return db.session.scalars(
        select(WebhookDelivery)
        .where(
            WebhookDelivery.status == PENDING,
            WebhookDelivery.next_attempt <= now,
            or_(WebhookDelivery.lease_until.is_(None), WebhookDelivery.lease_until < now),
            ~blocked,
            # A disabled subscription's deliveries wait until it is enabled again.
            exists().where(
                WebhookSubscription.id == WebhookDelivery.subscription_id,
                WebhookSubscription.enabled.is_(True),
            ),
        )
        .order_by(WebhookDelivery.id)
        .limit(limit)
    ).all()


def claim(delivery_id: int, now: datetime, until: datetime) -> bool:
    """Hold a delivery until `until`, if it is still pending and no other worker holds it."""
    result = db.session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery_id,
            WebhookDelivery.status == PENDING,
            or_(WebhookDelivery.lease_until.is_(None), WebhookDelivery.lease_until < now),
        )
        .values(lease_until=until)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def next_due(now: datetime) -> datetime | None:
    """When the earliest pending delivery is next tried, for the worker to wake then."""
    return db.session.scalar(
        select(WebhookDelivery.next_attempt)
        .where(and_(WebhookDelivery.status == PENDING))
        .order_by(WebhookDelivery.next_attempt)
        .limit(1)
    )


def event(event_id: int) -> WebhookEvent | None:
    return db.session.get(WebhookEvent, event_id)


def delete_deliveries(subscription_id: int) -> None:
    # Explicit, since SQLite enforces ON DELETE CASCADE only with a pragma.
    db.session.execute(
        delete(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription_id)
    )
