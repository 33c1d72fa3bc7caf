"""The webhook outbox: each change an organization's subscribers hear of, recorded with the change.

An event row and one delivery row per listening subscription are added inside the change's own
unit of work, so a change is never told without being committed, nor committed without being
told. After the commit a worker is woken (`wake`, set by factcheck/jobs); it would find the rows
on its next sweep anyway.
"""

import base64
import json
import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from factcheck.core import claimreview
from factcheck.core.reads import site_url
from factcheck.schemas.articles import ArticleSchema
from factcheck.schemas.fact_checks import FactCheckSchema
from factcheck.storage import outbox, store
from factcheck.storage.models import (
    DEAD,
    DELIVERED,
    PUBLISHED,
    Article,
    FactCheck,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
    utcnow,
)

# A fact-check's revision action (core/changes) and the event it is told as.
ACTION_EVENTS = {
    "publish": "fact_check.published",
    "correct": "fact_check.corrected",
    "retract": "fact_check.retracted",
    "update": "fact_check.updated",
}

# Called after the commit of a unit of work that added deliveries; factcheck/jobs sets it.
wake: list[Callable[[], None]] = []


def fact_check_changed(check: FactCheck, action: str) -> None:
    event_type = ACTION_EVENTS.get(action)
    if event_type is None:
        return

    def data() -> dict[str, Any]:
        told: dict[str, Any] = {"factCheck": FactCheckSchema().dump(check)}
        if check.status == PUBLISHED:
            told["claimReview"] = claimreview.render(check, site_url())
        return told

    _record(check.organization_id, event_type, f"fact-check:{check.id}", data)


def article_changed(article: Article) -> None:
    def data() -> dict[str, Any]:
        return {"article": ArticleSchema(exclude=("text",)).dump(article)}

    _record(article.organization_id, "article.updated", f"article:{article.id}", data)


def _record(
    organization_id: int, event_type: str, subject: str, data: Callable[[], dict[str, Any]]
) -> None:
    """`data` is rendered only when someone listens: most changes have no subscriber. When the
    change's own SELECT of the fact-check found no enabled subscription (store.unheard), the
    subscriptions are not read again."""
    if store.unheard(organization_id):
        return
    subscriptions = outbox.listening(organization_id, event_type)
    if not subscriptions:
        return
    now = utcnow()
    # The Standard Webhooks payload shape: type, timestamp, data.
    payload = {"type": event_type, "timestamp": now.isoformat(), "data": data()}
    event = WebhookEvent(
        organization_id=organization_id,
        event_type=event_type,
        subject=subject,
        payload=payload,
        date_created=now,
    )
    store.add(event)
    store.flush()
    for subscription in subscriptions:
        store.add(new_delivery(subscription.id, event))
    store.after_commit(wake_workers)


def new_delivery(subscription_id: int, event: WebhookEvent) -> WebhookDelivery:
    now = utcnow()
    return WebhookDelivery(
        subscription_id=subscription_id,
        event_id=event.id,
        subject=event.subject,
        status="pending",
        attempts=0,
        next_attempt=now,
        log=[],
        date_created=now,
    )


def wake_workers() -> None:
    for callback in wake:
        callback()


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


# --- the worker's side: claim what is due, record how each attempt went -------------------------


@dataclass(frozen=True)
class Job:
    """A claimed delivery, with all the worker needs to send it outside any transaction."""

    delivery_id: int
    message_id: str
    url: str
    secret: str
    body: str


@dataclass(frozen=True)
class RetryRules:
    base: float
    max_delay: float
    retry_for: float


def claim_due(lease: float, limit: int = 20) -> list[Job]:
    """Due deliveries this worker now holds for `lease` seconds (a worker that dies lets them go
    when the lease ends)."""
    with store.unit_of_work():
        now = utcnow()
        jobs = []
        for delivery in outbox.due(now, limit):
            if not outbox.claim(delivery.id, now, now + timedelta(seconds=lease)):
                continue
            event = outbox.event(delivery.event_id)
            subscription = store.get(WebhookSubscription, delivery.subscription_id)
            if event is None or subscription is None:
                continue
            jobs.append(
                Job(
                    delivery.id,
                    f"evt_{event.id}",
                    subscription.url,
                    subscription.secret,
                    json.dumps(event.payload, separators=(",", ":"), ensure_ascii=False),
                )
            )
    return jobs


def record_attempt(
    delivery_id: int, status: int | None, error: str | None, rules: RetryRules
) -> datetime | None:
    """Log one attempt: delivered on a 2xx; else retried with exponential backoff and jitter
    until `retry_for` seconds after the event, then dead. The next attempt's time, if any."""
    with store.unit_of_work():
        delivery = store.get(WebhookDelivery, delivery_id)
        if delivery is None:
            return None
        now = utcnow()
        delivery.attempts += 1
        delivery.log = [
            *delivery.log,
            {"at": now.isoformat(), "status": status, "error": error},
        ]
        delivery.lease_until = None
        if status is not None and 200 <= status < 300:
            delivery.status, delivery.date_delivered = DELIVERED, now
            return None
        backoff = min(rules.max_delay, rules.base * 2 ** (delivery.attempts - 1))
        # Full jitter on the upper half, so receivers coming back are not hit all at once.
        retry_at = now + timedelta(seconds=backoff * random.uniform(0.5, 1.0))
        if retry_at > delivery.date_created + timedelta(seconds=rules.retry_for):
            delivery.status = DEAD
            return None
        delivery.next_attempt = retry_at
        return retry_at
