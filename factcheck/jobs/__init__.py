"""Background work on huey: the webhook worker, which sends the outbox's due deliveries.

`huey_consumer worker.huey` (worker.py beside app.py) runs it; `make run` starts one. huey keeps
only wake-up calls (SQLite file for one machine, Redis to scale out): the database's delivery rows
are the truth, so a lost or duplicated huey task loses or repeats nothing.
"""

import logging
import os
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from huey import Huey, RedisHuey, SqliteHuey, crontab
from huey.storage import MemoryStorage
from redis import ConnectionPool

from factcheck import settings
from factcheck.core import outbox
from factcheck.jobs.delivery import send
from factcheck.storage.models import utcnow

log = logging.getLogger(__name__)

# The tasks are registered on this one instance; connect() gives it the storage JOBS_URL names.
huey = Huey("factcheck", results=False, storage_class=MemoryStorage)
_app: list[Flask] = []
_connected: list[str] = []


def init_app(app: Flask) -> None:
    _app[:] = [app]
    outbox.wake[:] = [wake]


def connect() -> Huey:
    """huey on JOBS_URL's storage, opened on first use (a web process that never wakes a worker
    opens nothing)."""
    url = _app[0].config["JOBS_URL"]
    if _connected != [url]:
        if urlsplit(url).scheme == "sqlite":
            path = url.removeprefix("sqlite:///")
            os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
            configured: Huey = SqliteHuey("factcheck", filename=path)
        else:
            # Bounded, so a paused Redis delays a write's answer by seconds at most (the sweep
            # sends what the wake-up missed); above huey's 1 s blocking read.
            pool = ConnectionPool.from_url(url, socket_timeout=5, socket_connect_timeout=2)
            configured = RedisHuey("factcheck", connection_pool=pool)
        huey.storage = configured.storage
        _connected[:] = [url]
    return huey


def wake() -> None:
    """After a commit that added deliveries: a worker runs now instead of at its next sweep."""
    try:
        connect()
        deliver_due()
    except Exception:  # noqa: BLE001 - the sweep sends it anyway; the write has committed
        log.warning("could not wake the webhook worker", exc_info=True)


def _rules(config: Any) -> outbox.RetryRules:
    return outbox.RetryRules(
        config["WEBHOOK_RETRY_BASE"], config["WEBHOOK_RETRY_MAX_DELAY"], config["WEBHOOK_RETRY_FOR"]
    )


def _lease(config: Any) -> float:
    # Held past the delivery's own deadline, so it is never sent twice at once.
    return float(config["WEBHOOK_TIMEOUT"]) * 2 + 5


def run_due() -> list[datetime]:
    """Send every due delivery, in order per subject; the times of the retries it scheduled."""
    app = _app[0]
    retries = []
    with app.app_context():
        config = app.config
        allowed = settings.allowed_networks(config["WEBHOOK_ALLOWED_NETWORKS"])
        lease = _lease(config)
        while jobs := outbox.claim_due(lease):
            for job in jobs:
                outcome = send(
                    job.url,
                    job.secret,
                    job.message_id,
                    job.body,
                    config["WEBHOOK_TIMEOUT"],
                    config["WEBHOOK_ALLOW_HTTP"],
                    allowed,
                )
                retry = outbox.record_attempt(
                    job.delivery_id, outcome.status, outcome.error, _rules(config)
                )
                log.info(
                    "webhook delivery %s to %s: %s",
                    job.delivery_id,
                    job.url,
                    outcome.status or outcome.error,
                )
                if retry is not None:
                    retries.append(retry)
    return retries


@huey.task()
def deliver_due() -> None:
    for retry in run_due():
        deliver_due.schedule(delay=max(0.0, (retry - utcnow()).total_seconds()))


@huey.periodic_task(crontab(minute="*"))
def sweep() -> None:
    """Every minute, in case a wake-up was lost (a worker killed while it held one)."""
    deliver_due()


@huey.on_startup()
def _started() -> None:
    # What a killed worker left: due now, or once its leases end.
    deliver_due()
    deliver_due.schedule(delay=_lease(_app[0].config))
