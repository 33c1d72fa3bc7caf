"""The only module that talks to Redis. Every Redis failure becomes a miss, never an exception.

A circuit breaker keeps a dead, paused or slow Redis from costing each request more than one
socket timeout: the first failure opens it, and while it is open Redis is not asked at all. After
a cool-down one request probes; the cache is trusted again only once the probe and the recovery
hook (which replays invalidations that were lost meanwhile) have both succeeded. A new process
starts in that probing state too, since it cannot know what was lost before it started.

Documents are stored under three keys per name: `doc:<name>` (the bytes), `gen:<name>` (bumped by
every invalidation) and `lease:<name>` (held by the one request rebuilding a missing document).
A fill is stored only when the generation is still the one read before the database was, so a slow
fill that read a row before a write cannot overwrite the write's invalidation (the memcache
paper's lease idea, with a counter in place of memcached's lease token).
"""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis
from flask import Flask, current_app
from redis.backoff import NoBackoff
from redis.retry import Retry

log = logging.getLogger(__name__)

# A paused Redis would otherwise hold each request for redis-py's default of minutes.
SOCKET_TIMEOUT = 0.05
COOL_DOWN = 1.0
LEASE_MS = 3000

CLOSED, OPEN, PROBING = "closed", "open", "probing"

_LEASE = """
local entry = redis.call('GET', KEYS[1])
if entry and entry ~= ARGV[3] then return {1, entry} end
local generation = redis.call('GET', KEYS[2]) or '0'
local leased = redis.call('SET', KEYS[3], ARGV[1], 'NX', 'PX', ARGV[2])
return {0, generation, leased and 1 or 0}
"""

_FILL = """
local stored = 0
if (redis.call('GET', KEYS[2]) or '0') == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
  stored = 1
end
if redis.call('GET', KEYS[3]) == ARGV[4] then redis.call('DEL', KEYS[3]) end
return stored
"""

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
"""

_EXPIRE = """
for i = 1, #KEYS, 3 do
  redis.call('DEL', KEYS[i], KEYS[i + 2])
  redis.call('INCR', KEYS[i + 1])
end
return 1
"""


@dataclass(frozen=True)
class Lease:
    """What a request that missed learns: an entry stored meanwhile, or the generation to fill
    against and whether it is the one request that builds."""

    entry: bytes | None
    generation: bytes = b""
    granted: bool = False


class Cache:
    """One per app: the client, the breaker and the counters a metrics module can read."""

    def __init__(self, client: redis.Redis | None, cool_down: float) -> None:
        self.client = client
        self.cool_down = cool_down
        self.on_recovery: Callable[[], object] | None = None
        self.state = PROBING
        self.retry_at = 0.0
        self.prober: int | None = None
        self.hits = self.misses = self.errors = self.skipped = 0
        self._lock = threading.Lock()
        self._scripts: dict[str, Any] = {}
        if client is not None:
            scripts = {"lease": _LEASE, "fill": _FILL, "release": _RELEASE, "expire": _EXPIRE}
            for name, source in scripts.items():
                self._scripts[name] = client.register_script(source)

    def call(self, operation: Callable[[redis.Redis], Any]) -> tuple[bool, Any]:
        """(True, result) when Redis answered; (False, None) when it failed or was skipped."""
        if self.client is None or not self._allowed():
            self._count("skipped")
            return False, None
        try:
            return True, operation(self.client)
        except redis.RedisError as error:
            self._failed(error)
            return False, None

    def script(self, name: str) -> Any:
        return self._scripts[name]

    def health(self) -> str:
        if self.client is None:
            return "disabled"
        return "ok" if self._allowed() else "degraded"

    def _allowed(self) -> bool:
        if self.state == CLOSED or self.prober == threading.get_ident():
            return True
        with self._lock:
            if self.state == CLOSED:
                return True
            if self.prober is not None or time.monotonic() < self.retry_at:
                return False
            self.prober = threading.get_ident()
        return self._probe()

    def _probe(self) -> bool:
        """Ask Redis, then let the hook replay lost invalidations, before trusting it again."""
        assert self.client is not None
        try:
            self.client.ping()
            if self.on_recovery is not None:
                self.on_recovery()
            healthy = self.prober is not None
        except redis.RedisError as error:
            self._failed(error)
            healthy = False
        except Exception as error:
            # The database may be busy or down; the hook runs again at the next probe.
            log.warning("cache recovery failed, the cache stays off: %s", error)
            healthy = False
        with self._lock:
            self.prober = None
            if healthy:
                self.state = CLOSED
            else:
                self.state, self.retry_at = OPEN, time.monotonic() + self.cool_down
        if healthy:
            log.info("cache is back")
        return healthy

    def _failed(self, error: Exception) -> None:
        self._count("errors")
        with self._lock:
            if self.state == CLOSED:
                log.warning("cache failed, skipping it for %.1f s: %s", self.cool_down, error)
            # A failure during a probe ends the probe: `prober` None tells _probe so.
            self.state, self.retry_at, self.prober = OPEN, time.monotonic() + self.cool_down, None

    def _count(self, counter: str) -> None:
        with self._lock:
            setattr(self, counter, getattr(self, counter) + 1)


def init_app(app: Flask) -> None:
    url = app.config.get("REDIS_URL")
    client = None
    if url:
        client = redis.Redis.from_url(
            url,
            socket_connect_timeout=SOCKET_TIMEOUT,
            socket_timeout=SOCKET_TIMEOUT,
            retry=Retry(NoBackoff(), 0),
        )
    app.extensions["factcheck.cache"] = Cache(client, app.config.get("CACHE_COOL_DOWN", COOL_DOWN))


def _cache() -> Cache:
    cache: Cache = current_app.extensions["factcheck.cache"]
    return cache


def on_recovery(app: Flask, hook: Callable[[], object]) -> None:
    """Run `hook` (in a request or app context) before the cache is trusted after a failure."""
    app.extensions["factcheck.cache"].on_recovery = hook


def health() -> str:
    """ "ok", "degraded" (Redis failed and is being skipped) or "disabled" (no REDIS_URL)."""
    return _cache().health()


def stats() -> dict[str, Any]:
    """Counters since start, for a metrics module: hits, misses, errors, skipped, breaker."""
    cache = _cache()
    breaker = "disabled" if cache.client is None else cache.state
    return {
        "hits": cache.hits,
        "misses": cache.misses,
        "errors": cache.errors,
        "skipped": cache.skipped,
        "breaker": breaker,
    }


def get(key: str) -> bytes | None:
    cache = _cache()
    answered, value = cache.call(lambda client: client.get(key))
    if answered:
        cache._count("hits" if value is not None else "misses")
    return value if isinstance(value, bytes) else None


def put(key: str, value: bytes, ttl: int) -> None:
    _cache().call(lambda client: client.set(key, value, ex=ttl))


def invalidate(*keys: str) -> bool:
    if not keys:
        return True
    answered, _ = _cache().call(lambda client: client.delete(*keys))
    return answered


def ping() -> bool:
    answered, value = _cache().call(lambda client: client.ping())
    return answered and bool(value)


# --- documents, by name ----------------------------------------------------------------------


def document(name: str) -> bytes | None:
    return get("doc:" + name)


def lease(name: str, token: str, known_bad: bytes = b"") -> Lease | None:
    """After a miss: the entry if one was stored meanwhile (other than `known_bad`, a corrupt one
    the caller saw), else the current generation and the lease when nobody else is rebuilding.
    None when Redis cannot be used: build from the database and keep nothing."""
    cache = _cache()
    keys = ["doc:" + name, "gen:" + name, "lease:" + name]
    answered, reply = cache.call(
        lambda client: cache.script("lease")(
            keys=keys, args=[token, LEASE_MS, known_bad], client=client
        )
    )
    if not answered:
        return None
    if reply[0] == 1:
        return Lease(reply[1])
    return Lease(None, reply[1], bool(reply[2]))


def fill(name: str, generation: bytes, value: bytes, ttl: int, token: str) -> bool:
    """Store a rebuilt document unless it was invalidated since `generation` was read."""
    cache = _cache()
    keys = ["doc:" + name, "gen:" + name, "lease:" + name]
    answered, stored = cache.call(
        lambda client: cache.script("fill")(
            keys=keys, args=[generation, value, ttl, token], client=client
        )
    )
    return answered and bool(stored)


def release(name: str, token: str) -> None:
    """Give up a lease without storing anything (the build failed or was not public)."""
    cache = _cache()
    cache.call(
        lambda client: cache.script("release")(keys=["lease:" + name], args=[token], client=client)
    )


def expire(names: list[str]) -> bool:
    """Drop the documents, bump their generations, free their leases. False when Redis failed."""
    cache = _cache()
    if not names or cache.client is None:
        # Without Redis nothing is cached; a deployment's processes share one REDIS_URL.
        return True
    keys = [key for name in names for key in ("doc:" + name, "gen:" + name, "lease:" + name)]
    answered, _ = cache.call(
        lambda client: cache.script("expire")(keys=keys, args=[], client=client)
    )
    return answered
