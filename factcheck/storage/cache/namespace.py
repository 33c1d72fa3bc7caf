"""The namespace every Redis key starts with: REDIS_PREFIX, then the identity of the database.

The identity is a random id that migration 0006 stores in the database once, when the database is
made, and that nothing changes afterwards. Two deployments sharing a Redis, or a database dropped
and recreated under a Redis that kept its keys, therefore never read each other's documents.

It is read from the database at the first use of the cache, not when the app starts: a service
whose database is unreachable still starts. Until it has been read the cache is not used (reads
build from the database and keep nothing, invalidations stay recorded for replay), and it is asked
for again at most once per `retry_after` seconds.
"""

import logging
import threading
import time

from sqlalchemy import Column, MetaData, String, Table, select
from sqlalchemy.exc import SQLAlchemyError

from factcheck.storage.db import db

log = logging.getLogger(__name__)

# Not one of the models: a fact about the database itself, which no use case reads or writes
# (and which tests that empty every model's table leave alone).
IDENTITY = Table("database_identity", MetaData(), Column("id", String(32), primary_key=True))


def read_identity() -> str | None:
    """The database's identity; None when it cannot be read (unreachable, or not migrated)."""
    try:
        # A connection of its own: a failure must leave no broken transaction in the session of
        # the request that happened to ask first.
        with db.engine.connect() as connection:
            found = connection.scalar(select(IDENTITY.c.id).order_by(IDENTITY.c.id).limit(1))
    except SQLAlchemyError as error:
        log.warning("cache off: the database's identity cannot be read: %s", error)
        return None
    if not found:
        log.warning("cache off: the database has no identity; run `flask db upgrade`")
        return None
    return str(found)


class Namespace:
    """One app's key prefix, found once (in an app context) and then kept for the process."""

    def __init__(self, redis_prefix: str, retry_after: float) -> None:
        self.redis_prefix = redis_prefix
        self.retry_after = retry_after
        self.value: str | None = None
        self._retry_at = 0.0
        self._lock = threading.Lock()

    def get(self) -> str | None:
        """`<REDIS_PREFIX><identity>:`, or None while the database cannot say."""
        if self.value is not None:
            return self.value
        with self._lock:
            if self.value is None and time.monotonic() >= self._retry_at:
                identity = read_identity()
                if identity is None:
                    self._retry_at = time.monotonic() + self.retry_after
                else:
                    self.value = f"{self.redis_prefix}{identity}:"
        return self.value
