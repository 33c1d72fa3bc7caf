"""The Redis client of one app, behind its circuit breaker; every Redis failure becomes a miss.

`Cache.call` is the one way to Redis: it asks the breaker, runs the operation, and turns a Redis
error into (False, None) and an open breaker. Counters (hits, misses, errors, skipped) are kept
here and told to observers, which is how metrics see them. `Cache.namespace` is the prefix of every
key (namespace.py).
"""

import logging
import threading
from collections.abc import Callable
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from factcheck.storage.cache import scripts
from factcheck.storage.cache.breaker import Breaker
from factcheck.storage.cache.local import Local
from factcheck.storage.cache.namespace import Namespace

log = logging.getLogger(__name__)

# A paused Redis would otherwise hold each request for redis-py's default of minutes.
SOCKET_TIMEOUT = 0.05
COOL_DOWN = 1.0


def connect(url: str) -> redis.Redis:
    """A client that gives up after one short timeout and never retries."""
    return redis.Redis.from_url(
        url,
        socket_connect_timeout=SOCKET_TIMEOUT,
        socket_timeout=SOCKET_TIMEOUT,
        retry=Retry(NoBackoff(), 0),
    )


class Cache:
    """One per app: the client, the breaker, the local copies and the counters."""

    def __init__(
        self, client: redis.Redis | None, cool_down: float = COOL_DOWN, redis_prefix: str = ""
    ) -> None:
        self.client = client
        self.local = Local(self) if client is not None else None
        self._namespace = Namespace(redis_prefix, cool_down)
        # Run (in a request or app context) before Redis is trusted again after a failure.
        self.on_recovery: Callable[[], object] | None = None
        self.breaker = Breaker(cool_down, self._probe, self._breaker_changed)
        self.hits = self.misses = self.errors = self.skipped = 0
        # Called with each counter name as it counts, and with "breaker_open"/"breaker_closed".
        self.observers: list[Callable[[str], None]] = []
        self._lock = threading.Lock()
        self._scripts: dict[str, Any] = {}
        if client is not None:
            for name, source in scripts.ALL.items():
                self._scripts[name] = client.register_script(source)

    def namespace(self) -> str | None:
        """The prefix of every key, read from the database once (in an app context); None while
        it cannot be read, and then the cache is not used."""
        return self._namespace.get()

    def call(self, operation: Callable[[redis.Redis], Any]) -> tuple[bool, Any]:
        """(True, result) when Redis answered; (False, None) when it failed or was skipped."""
        if self.client is None or not self.breaker.allows():
            self.count("skipped")
            return False, None
        try:
            return True, operation(self.client)
        except redis.RedisError as error:
            self.failed(error)
            return False, None

    def run_script(self, name: str, keys: list[str], args: list[Any]) -> tuple[bool, Any]:
        return self.call(lambda client: self._scripts[name](keys=keys, args=args, client=client))

    def health(self) -> str:
        if self.client is None:
            return "disabled"
        return "ok" if self.breaker.allows() else "degraded"

    def count(self, counter: str) -> None:
        with self._lock:
            setattr(self, counter, getattr(self, counter) + 1)
        self.notify(counter)

    def _probe(self) -> bool:
        """Ask Redis, then let the hook replay lost invalidations, before trusting it again."""
        assert self.client is not None
        try:
            self.client.ping()
            if self.on_recovery is not None:
                self.on_recovery()
        except redis.RedisError as error:
            self.failed(error)
            return False
        except Exception as error:
            # The database may be busy or down; the hook runs again at the next probe.
            log.warning("cache recovery failed, the cache stays off: %s", error)
            return False
        return True

    def failed(self, error: Exception) -> None:
        self.count("errors")
        if self.breaker.trip():
            log.warning("cache failed, skipping it for %.1f s: %s", self.breaker.cool_down, error)

    def _breaker_changed(self, event: str) -> None:
        if event == "breaker_closed":
            log.info("cache is back")
        self.notify(event)

    def notify(self, event: str) -> None:
        for observer in self.observers:
            observer(event)
