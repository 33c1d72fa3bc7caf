"""Webhook subscriptions: an organization's admins add, change and remove them, read the
delivery log and ask for a delivery again."""

from typing import Any
from urllib.parse import urlsplit

from flask import current_app

from factcheck.core import outbox as events
from factcheck.core.actors import Actor
from factcheck.problems import NotFound, PreconditionFailed, Unprocessable
from factcheck.storage import outbox, store
from factcheck.storage.models import WebhookDelivery, WebhookSubscription, utcnow

DELIVERY_LOG_SIZE = 100


def _organization_id(actor: Actor, slug: str) -> int:
    """Another organization's webhooks are not found, as its drafts are not."""
    organization = store.organization_by_slug(slug)
    if organization is None or organization.id != actor.organization_id:
        raise NotFound(f"No organization {slug!r} of this key.")
    return organization.id


def _check_version(current: int, expected: int | None) -> None:
    """`expected` None stands for `If-Match: *`; the UPDATE checks again (version_id_col)."""
    if expected is not None and expected != current:
        raise PreconditionFailed(f"The webhook is at version {current}, not {expected}.")


def _check_target(url: str) -> None:
    scheme = urlsplit(url).scheme.lower()
    if scheme != "https" and not (scheme == "http" and current_app.config["WEBHOOK_ALLOW_HTTP"]):
        raise Unprocessable(
            "A webhook target must be https.",
            errors=[{"pointer": "/url", "detail": "Use an https:// URL."}],
        )


def list_subscriptions(actor: Actor, slug: str) -> list[WebhookSubscription]:
    return list(outbox.subscriptions(_organization_id(actor, slug)))


def subscription_for(actor: Actor, slug: str, subscription_id: int) -> WebhookSubscription:
    organization_id = _organization_id(actor, slug)
    subscription = store.get(WebhookSubscription, subscription_id)
    if subscription is None or subscription.organization_id != organization_id:
        raise NotFound(f"No webhook {subscription_id}.")
    return subscription


def create_subscription(actor: Actor, slug: str, data: dict[str, Any]) -> WebhookSubscription:
    """A new subscription; its secret is made here and shown in this answer only."""
    with store.unit_of_work():
        _check_target(data["url"])
        now = utcnow()
        subscription = WebhookSubscription(
            organization_id=_organization_id(actor, slug),
            url=data["url"],
            events=" ".join(data["event_list"]),
            description=data.get("description"),
            secret=events.new_secret(),
            enabled=data.get("enabled", True),
            date_created=now,
            date_modified=now,
        )
        store.add(subscription)
    return subscription


def update_subscription(
    actor: Actor, slug: str, subscription_id: int, expected: int | None, data: dict[str, Any]
) -> WebhookSubscription:
    with store.unit_of_work():
        subscription = subscription_for(actor, slug, subscription_id)
        _check_version(subscription.version, expected)
        if "url" in data:
            _check_target(data["url"])
            subscription.url = data["url"]
        if "events" in data:
            subscription.events = " ".join(data["events"])
        for field in ("description", "enabled"):
            if field in data:
                setattr(subscription, field, data[field])
        subscription.date_modified = utcnow()
    return subscription


def delete_subscription(
    actor: Actor, slug: str, subscription_id: int, expected: int | None
) -> None:
    with store.unit_of_work():
        subscription = subscription_for(actor, slug, subscription_id)
        _check_version(subscription.version, expected)
        outbox.delete_deliveries(subscription.id)
        store.delete(subscription)


def list_deliveries(actor: Actor, slug: str, subscription_id: int) -> list[WebhookDelivery]:
    """The latest deliveries, newest first, each with the log of its attempts."""
    subscription = subscription_for(actor, slug, subscription_id)
    return list(outbox.deliveries(subscription.id, DELIVERY_LOG_SIZE))


def redeliver(actor: Actor, slug: str, subscription_id: int, delivery_id: int) -> WebhookDelivery:
    """The delivery's event once more, as a new delivery of its own (the old log stays)."""
    with store.unit_of_work():
        subscription = subscription_for(actor, slug, subscription_id)
        old = store.get(WebhookDelivery, delivery_id)
        event = outbox.event(old.event_id) if old is not None else None
        if old is None or event is None or old.subscription_id != subscription.id:
            raise NotFound(f"No delivery {delivery_id} of webhook {subscription_id}.")
        delivery = events.new_delivery(subscription.id, event)
        store.add(delivery)
        store.after_commit(events.wake_workers)
    return delivery
