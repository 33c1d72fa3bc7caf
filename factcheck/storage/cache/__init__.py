"""The cache, the only way to Redis: documents by name, leases, invalidation, health and counters.

Every function degrades to "not cached" when Redis fails or the breaker skips it; none raises for
Redis. A fill is stored only when the document's generation is still the one read before the
database was, so a slow fill that read a row before a write cannot overwrite the write's
invalidation (the memcache paper's lease idea, with a counter in place of memcached's lease token).
Names come from names.py; read_through.py and invalidation.py build on these functions.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app

from factcheck.storage.cache import scripts
from factcheck.storage.cache.client import COOL_DOWN, SOCKET_TIMEOUT, Cache, connect

__all__ = ["SOCKET_TIMEOUT", "Lease", "init_app"]

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
    app.extensions[EXTENSION] = Cache(client, app.config.get("CACHE_COOL_DOWN", COOL_DOWN))


def _cache() -> Cache:
    cache: Cache = current_app.extensions[EXTENSION]
    return cache


def on_recovery(app: Flask, hook: Callable[[], object]) -> None:
    """Run `hook` (in a request or app context) before the cache is trusted after a failure."""
    app.extensions[EXTENSION].on_recovery = hook


def observe(app: Flask, observer: Callable[[str], None]) -> None:
    """Have `observer` told of every hit, miss, error, skip and breaker change (for metrics)."""
    app.extensions[EXTENSION].observers.append(observer)


def health() -> str:
    """ "ok", "degraded" (Redis failed and is being skipped) or "disabled" (no REDIS_URL)."""
    return _cache().health()


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
    answered, value = cache.call(lambda client: client.get("doc:" + name))
    if answered:
        cache.count("hits" if value is not None else "misses")
    return value if isinstance(value, bytes) else None


def lease(name: str, token: str, known_bad: bytes = b"") -> Lease | None:
    """After a miss: the entry if one was stored meanwhile (other than `known_bad`, a corrupt one
    the caller saw), else the current generation and the lease when nobody else is rebuilding.
    None when Redis cannot be used: build from the database and keep nothing."""
    answered, reply = _cache().run_script("lease", scripts.keys(name), [token, LEASE_MS, known_bad])
    if not answered:
        return None
    if reply[0] == 1:
        return Lease(reply[1])
    return Lease(None, reply[1], bool(reply[2]))


def fill(name: str, generation: bytes, value: bytes, ttl: int, token: str) -> bool:
    """Store a rebuilt document unless it was invalidated since `generation` was read."""
    answered, stored = _cache().run_script(
        "fill", scripts.keys(name), [generation, value, ttl, token]
    )
    return answered and bool(stored)


def release(name: str, token: str) -> None:
    """Give up a lease without storing anything (the build failed or was not public)."""
    _cache().run_script("release", scripts.keys(name)[2:], [token])


def expire(names: list[str]) -> bool:
    """Drop the documents, bump their generations, free their leases. False when Redis failed."""
    cache = _cache()
    if not names or cache.client is None:
        # Without Redis nothing is cached; a deployment's processes share one REDIS_URL.
        return True
    if cache.local is not None:
        cache.local.drop(names)  # other processes hear it from Redis; this one needs no wait
    keys = [key for name in names for key in scripts.keys(name)]
    answered, _ = cache.run_script("expire", keys, [])
    return answered
