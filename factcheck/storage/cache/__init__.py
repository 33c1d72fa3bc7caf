"""The cache, the only way to Redis: documents by name, leases, invalidation, health and counters.

Every function degrades to "not cached" when Redis fails or the breaker skips it; none raises for
Redis. A fill is stored only when the document's generation is still the one read before the
database was, so a slow fill that read a row before a write cannot overwrite the write's
invalidation (the memcache paper's lease idea, with a counter in place of memcached's lease token).
Names come from names.py; read_through.py and invalidation.py build on these functions. Every key
starts with the app's namespace (namespace.py: REDIS_PREFIX and the database's identity); until the
database has told it, these functions act as if Redis were down.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import redis
from flask import Flask, current_app

from factcheck.storage.cache import scripts
from factcheck.storage.cache.client import COOL_DOWN, SOCKET_TIMEOUT, Cache, connect

__all__ = ["SOCKET_TIMEOUT", "Lease", "init_app", "namespace"]

DecodedT = TypeVar("DecodedT")

LEASE_MS = 3000
EXTENSION = "factcheck.cache"


@dataclass(frozen=True)
class Lease:
    """What a request that missed learns: an entry stored meanwhile, or the generation to fill
    against and whether it is the one request that builds."""

    entry: bytes | None
    generation: bytes = b""
    granted: bool = False


def init_app(app: Flask) -> None:
    url = app.config.get("REDIS_URL")
    client = connect(url) if url else None
    cool_down = app.config.get("CACHE_COOL_DOWN", COOL_DOWN)
    app.extensions[EXTENSION] = Cache(client, cool_down, app.config.get("REDIS_PREFIX", ""))


def _cache() -> Cache:
    cache: Cache = current_app.extensions[EXTENSION]
    return cache


def on_recovery(app: Flask, hook: Callable[[], object]) -> None:
    """Run `hook` (in a request or app context) before the cache is trusted after a failure."""
    app.extensions[EXTENSION].on_recovery = hook


def observe(app: Flask, observer: Callable[[str], None]) -> None:
    """Have `observer` told of every hit, miss, error, skip and breaker change (for metrics)."""
    app.extensions[EXTENSION].observers.append(observer)


def namespace() -> str | None:
    """The prefix of every Redis key of this app (`<REDIS_PREFIX><database identity>:`), for
    anything else that keeps keys in the same Redis (the rate limiter). Read from the database at
    the first call; None while the database cannot be read."""
    return _cache().namespace()


def health() -> str:
    """ "ok", "degraded" (Redis failed and is being skipped, or the namespace is not known yet)
    or "disabled" (no REDIS_URL)."""
    cache = _cache()
    if cache.client is not None and cache.namespace() is None:
        return "degraded"
    return cache.health()


def ping() -> bool:
    """Whether Redis answers a PING now, within the client's socket timeout: asked directly, not
    through the breaker's memory (for /readyz). A failure opens the breaker as any other would."""
    cache = _cache()
    if cache.client is None:
        return False
    try:
        return bool(cache.client.ping())
    except redis.RedisError as error:
        cache.failed(error)
        return False


def stats() -> dict[str, Any]:
    """Counters since start, for a metrics module: hits, misses, errors, skipped, breaker."""
    cache = _cache()
    return {
        "hits": cache.hits,
        "misses": cache.misses,
        "errors": cache.errors,
        "skipped": cache.skipped,
        "local_hits": cache.local.hits if cache.local else 0,
        "breaker": "disabled" if cache.client is None else cache.breaker.state,
    }


# --- documents, by name ----------------------------------------------------------------------


def local(name: str) -> Any:
    """This process's copy of document `name` (whatever `keep_local` was given), or None."""
    cache = _cache()
    if cache.local is None or not cache.breaker.closed:
        return None
    prefix = cache.namespace()
    if prefix is None:
        return None
    # The copies are told of changes to the document keys of this namespace, and no others.
    cache.local.track(prefix + "doc:")
    value = cache.local.get(name)
    if value is not None:
        cache.local.hits += 1  # approximate under threads, like any unlocked counter
        cache.notify("local_hits")
        cache.count("hits")
    return value


def local_epoch() -> int:
    """Read before fetching a document from Redis; pass it to keep_local."""
    cache = _cache()
    return cache.local.epoch if cache.local is not None else 0


def keep_local(name: str, value: object, epoch: int) -> None:
    cache = _cache()
    if cache.local is not None and cache.breaker.closed:
        cache.local.keep(name, value, epoch)


def document(name: str) -> bytes | None:
    cache = _cache()
    prefix = cache.namespace() if cache.client is not None else None
    if prefix is None:
        cache.count("skipped")
        return None
    answered, value = cache.call(lambda client: client.get(prefix + "doc:" + name))
    if answered:
        cache.count("hits" if value is not None else "misses")
    return value if isinstance(value, bytes) else None


def peek(name: str, decode: Callable[[bytes], DecodedT | None]) -> DecodedT | None:
    """Document `name` from Redis, decoded, when Redis is in use and holds a good entry; only
    that hit is counted: this is the fast lane's lookup, and its miss (or skip, or corrupt
    entry) falls through to a read (`document`) that counts it."""
    cache = _cache()
    if cache.client is None or not cache.breaker.closed:
        return None
    prefix = cache.namespace()
    if prefix is None:
        return None
    answered, value = cache.call(lambda client: client.get(prefix + "doc:" + name))
    found = decode(value) if answered and isinstance(value, bytes) else None
    if found is not None:
        cache.count("hits")
    return found


def lease(name: str, token: str, known_bad: bytes = b"") -> Lease | None:
    """After a miss: the entry if one was stored meanwhile (other than `known_bad`, a corrupt one
    the caller saw), else the current generation and the lease when nobody else is rebuilding.
    None when Redis cannot be used: build from the database and keep nothing."""
    cache = _cache()
    prefix = cache.namespace() if cache.client is not None else None
    if prefix is None:
        return None
    keys = scripts.keys(prefix, name)
    answered, reply = cache.run_script("lease", keys, [token, LEASE_MS, known_bad])
    if not answered:
        return None
    if reply[0] == 1:
        return Lease(reply[1])
    return Lease(None, reply[1], bool(reply[2]))


def fill(name: str, generation: bytes, value: bytes, ttl: int, token: str) -> bool:
    """Store a rebuilt document unless it was invalidated since `generation` was read."""
    cache = _cache()
    prefix = cache.namespace()
    if prefix is None:
        return False
    answered, stored = cache.run_script(
        "fill", scripts.keys(prefix, name), [generation, value, ttl, token]
    )
    return answered and bool(stored)


def release(name: str, token: str) -> None:
    """Give up a lease without storing anything (the build failed or was not public)."""
    cache = _cache()
    prefix = cache.namespace()
    if prefix is not None:
        cache.run_script("release", scripts.keys(prefix, name)[2:], [token])


def expire(names: list[str]) -> bool:
    """Drop the documents, bump their generations, free their leases. False when Redis failed."""
    cache = _cache()
    if not names or cache.client is None:
        # Without Redis nothing is cached; a deployment's processes share one REDIS_URL.
        return True
    if cache.local is not None:
        cache.local.drop(names)  # other processes hear it from Redis; this one needs no wait
    prefix = cache.namespace()
    if prefix is None:
        return False  # kept recorded, replayed once the namespace is known
    keys = [key for name in names for key in scripts.keys(prefix, name)]
    answered, _ = cache.run_script("expire", keys, [])
    return answered
