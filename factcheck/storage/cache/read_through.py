"""Public documents read through the cache: served from it, or rebuilt once however many miss.

A read is: this process's copy -> Redis -> (miss) a lease -> build from the database -> a fill
guarded by the generation read before the build. Requests that miss while another holds the lease
wait for its fill, at most LEASE_WAIT seconds, then build for themselves and store nothing.
"""

import secrets
import time
from collections.abc import Callable

from flask import current_app

from factcheck.storage import cache
from factcheck.storage.cache import invalidation
from factcheck.storage.documents import Document

# How long a request waits for another one's rebuild before it reads the database itself.
LEASE_WAIT = 2.0
LEASE_POLL = 0.005


def serve(name: str, build: Callable[[], Document]) -> Document:
    """The public document `name` from the cache, or built once however many requests miss it."""
    invalidation.start_sweep()
    copy = cache.local(name)
    if isinstance(copy, Document):
        return copy
    epoch = cache.local_epoch()
    entry = cache.document(name)
    hit = Document.decode(entry)
    if hit is not None:
        cache.keep_local(name, hit, epoch)
        return hit
    return _build_once(name, build, known_bad=entry or b"")


def cached(name: str) -> Document | None:
    """The public document `name` when this process or Redis holds it; None otherwise, with
    nothing built and no miss counted (the caller goes on to `serve`, which counts it)."""
    invalidation.start_sweep()
    copy = cache.local(name)
    if isinstance(copy, Document):
        return copy
    epoch = cache.local_epoch()
    hit = cache.peek(name, Document.decode)
    if hit is not None:
        cache.keep_local(name, hit, epoch)
    return hit


def _build_once(name: str, build: Callable[[], Document], known_bad: bytes) -> Document:
    """Take the lease and rebuild, or wait for the request that holds it to fill."""
    token = secrets.token_hex(8)
    deadline = time.monotonic() + LEASE_WAIT
    while time.monotonic() <= deadline:
        lease = cache.lease(name, token, known_bad)
        if lease is None:
            break  # Redis cannot be used: build, keep nothing
        if lease.granted:
            return _rebuild(name, build, lease.generation, token)
        if lease.entry is None:
            time.sleep(LEASE_POLL)
            continue
        hit = Document.decode(lease.entry)
        if hit is not None:
            return hit
        known_bad = lease.entry
    return build()


def _rebuild(name: str, build: Callable[[], Document], generation: bytes, token: str) -> Document:
    try:
        document = build()
    except BaseException:
        cache.release(name, token)
        raise
    if document.public:
        ttl = current_app.config["CACHE_TTL"]
        cache.fill(name, generation, document.encode(), ttl, token)
    else:
        cache.release(name, token)
    return document
