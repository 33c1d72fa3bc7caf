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
import weakref
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

# In-process copies: how many, and how often the tracking connection proves it is alive.
LOCAL_MAX = 10_000
PING_EVERY = 0.25
RECONNECT_AFTER = 0.5

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


class Local:
    """In-process copies of hot documents, so a hit skips the network round trip.

    Redis tells this process about every change to a `doc:` key (CLIENT TRACKING in broadcast
    mode, RESP3 push messages on a connection of its own, watched by a thread). Copies are kept
    only while that connection is known to be healthy: it is pinged every PING_EVERY seconds and
    must answer within the socket timeout, or every copy is dropped until it is back. The epoch
    refuses a copy read from Redis before an invalidation that arrived while it was being read.
    """

    def __init__(self, owner: "Cache") -> None:
        self.entries: dict[str, object] = {}
        self.epoch = 0
        self.live = False
        self.hits = 0
        self._owner = weakref.ref(owner)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def get(self, name: str) -> object | None:
        if self._thread is None:
            self._start()
        return self.entries.get(name) if self.live else None

    def keep(self, name: str, value: object, epoch: int) -> None:
        with self._lock:
            if self.live and epoch == self.epoch:
                if len(self.entries) >= LOCAL_MAX:
                    self.entries.clear()
                self.entries[name] = value

    def drop(self, names: list[str]) -> None:
        with self._lock:
            for name in names:
                self.entries.pop(name, None)
            self.epoch += 1

    def _reset(self, live: bool) -> None:
        with self._lock:
            self.entries.clear()
            self.epoch += 1
            self.live = live

    def _start(self) -> None:
        # Started on first use rather than at init_app, so it runs in the serving process even
        # when a server forks after loading the app.
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="cache-track", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while (owner := self._owner()) is not None and owner.client is not None:
            pool = owner.client.connection_pool
            kwargs = {**pool.connection_kwargs, "protocol": 3}
            del owner  # the thread must not keep the app alive
            connection = pool.connection_class(**kwargs)
            try:
                connection.connect()
                # redis-py has no public hook for push messages on one connection; its own
                # client-side cache (Redis 7.4 and later only) sets the parser's the same way.
                connection._parser.set_invalidation_push_handler(self._invalidated)
                connection.send_command("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "doc:")
                connection.read_response()
                self._reset(live=True)
                self._watch(connection)
            except (redis.RedisError, OSError) as error:
                log.info("cache tracking connection lost: %s", error)
            finally:
                self._reset(live=False)
                connection.disconnect()
            time.sleep(RECONNECT_AFTER)

    def _watch(self, connection: Any) -> None:
        while self._owner() is not None:
            connection.send_command("PING")
            if connection.read_response() != b"PONG":
                raise redis.ConnectionError("no PONG on the tracking connection")
            until = time.monotonic() + PING_EVERY
            while (left := until - time.monotonic()) > 0:
                if connection.can_read(timeout=left):
                    connection.read_response(push_request=True)

    def _invalidated(self, message: list[Any]) -> None:
        keys = message[1]
        if keys is None:  # FLUSHDB or FLUSHALL
            self._reset(live=True)
        else:
            self.drop([key.decode()[4:] for key in keys])


class Cache:
    """One per app: the client, the breaker and the counters a metrics module can read."""

    def __init__(self, client: redis.Redis | None, cool_down: float) -> None:
        self.client = client
        self.local = Local(self) if client is not None else None
        self.cool_down = cool_down
        self.on_recovery: Callable[[], object] | None = None
        self.state = PROBING
        self.retry_at = 0.0
        self.prober: int | None = None
        self.hits = self.misses = self.errors = self.skipped = 0
        # Called with each counter name as it counts, and with "breaker_open"/"breaker_closed".
        self.observers: list[Callable[[str], None]] = []
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
        self._notify("breaker_closed" if healthy else "breaker_open")
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
        self._notify("breaker_open")

    def _count(self, counter: str) -> None:
        with self._lock:
            setattr(self, counter, getattr(self, counter) + 1)
        self._notify(counter)

    def _notify(self, event: str) -> None:
        for observer in self.observers:
            observer(event)


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


def observe(app: Flask, observer: Callable[[str], None]) -> None:
    """Have `observer` told of every hit, miss, error, skip and breaker change (for metrics)."""
    app.extensions["factcheck.cache"].observers.append(observer)


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
        "local_hits": cache.local.hits if cache.local else 0,
        "breaker": breaker,
    }


def get(key: str) -> bytes | None:
    cache = _cache()
    answered, value = cache.call(lambda client: client.get(key))
    if answered:
        cache._count("hits" if value is not None else "misses")
    return value if isinstance(value, bytes) else None


# --- documents, by name ----------------------------------------------------------------------


def local(name: str) -> Any:
    """This process's copy of document `name` (whatever `keep_local` was given), or None."""
    cache = _cache()
    if cache.local is None or cache.state != CLOSED:
        return None
    value = cache.local.get(name)
    if value is not None:
        cache.local.hits += 1  # approximate under threads, like any unlocked counter
        cache._notify("local_hits")
        cache._count("hits")
    return value


def local_epoch() -> int:
    """Read before fetching a document from Redis; pass it to keep_local."""
    cache = _cache()
    return cache.local.epoch if cache.local is not None else 0


def keep_local(name: str, value: object, epoch: int) -> None:
    cache = _cache()
    if cache.local is not None and cache.state == CLOSED:
        cache.local.keep(name, value, epoch)


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
    if cache.local is not None:
        cache.local.drop(names)  # other processes hear it from Redis; this one needs no wait
    keys = [key for name in names for key in ("doc:" + name, "gen:" + name, "lease:" + name)]
    answered, _ = cache.call(
        lambda client: cache.script("expire")(keys=keys, args=[], client=client)
    )
    return answered
