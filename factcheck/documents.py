"""Public documents as served bytes: read through the cache, rebuilt once, invalidated durably.

A read is cache -> (miss) lease -> build from the database -> fill guarded by the generation read
before the build. A write records the names it made stale in its own transaction and drops them
from Redis after the commit; whatever Redis missed is replayed before the cache is trusted again
and, for other processes and crashed writers, by a sweep every CACHE_REPLAY_INTERVAL seconds.
"""

import hashlib
import json
import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app

from . import cache, store
from .models import CacheInvalidation

log = logging.getLogger(__name__)

# How long a request waits for another one's rebuild before it reads the database itself.
LEASE_WAIT = 2.0
LEASE_POLL = 0.005
REPLAY_BATCH = 500


@dataclass(frozen=True)
class Document:
    """A rendered document: the exact bytes served, with their strong ETag."""

    body: bytes
    etag: str
    media_type: str
    # Only public documents are cached; a draft is built for its own organization each time.
    public: bool = True

    def encode(self) -> bytes:
        digest = hashlib.sha256(self.body).hexdigest()[:32].encode()
        return b"\n".join((self.media_type.encode(), self.etag.encode(), digest, self.body))

    @classmethod
    def decode(cls, raw: bytes | None) -> "Document | None":
        """None for anything that is not a whole entry, so corrupt cache values are misses."""
        if raw is None:
            return None
        parts = raw.split(b"\n", 3)
        if len(parts) != 4:
            return None
        media_type, etag, digest, body = parts
        if hashlib.sha256(body).hexdigest()[:32].encode() != digest:
            return None
        try:
            return cls(body, etag.decode("ascii"), media_type.decode("ascii"))
        except UnicodeDecodeError:
            return None


def content_etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def serialize(document: Any) -> bytes:
    """The bytes Flask would send for `document`: indented, UTF-8, a final newline."""
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode()


def serve(name: str, build: Callable[[], Document]) -> Document:
    """The public document `name` from the cache, or built once however many requests miss it."""
    _start_sweep()
    copy = cache.local(name)
    if isinstance(copy, Document):
        return copy
    epoch = cache.local_epoch()
    entry = cache.document(name)
    hit = Document.decode(entry)
    if hit is not None:
        cache.keep_local(name, hit, epoch)
        return hit
    token = secrets.token_hex(8)
    deadline = time.monotonic() + LEASE_WAIT
    bad = entry or b""
    while True:
        lease = cache.lease(name, token, bad)
        if lease is None or time.monotonic() > deadline:
            return build()
        if lease.entry is not None:
            hit = Document.decode(lease.entry)
            if hit is not None:
                return hit
            bad = lease.entry
            continue
        if lease.granted:
            return _rebuild(name, build, lease.generation, token)
        time.sleep(LEASE_POLL)


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


@dataclass(frozen=True)
class Stale:
    """Documents a write makes stale, and the record that keeps them until Redis drops them."""

    record_id: int
    names: list[str]


def stale(names: Iterable[str]) -> Stale:
    """Record, in the caller's transaction, that these documents must go once it commits."""
    unique = sorted(set(names))
    record = CacheInvalidation(names=" ".join(unique))
    store.add(record)
    store.flush()
    return Stale(record.id, unique)


def forget(done: Stale) -> None:
    """After the commit: drop the documents from Redis, then the record; keep it if Redis failed."""
    _start_sweep()
    if not cache.expire(done.names):
        return
    try:
        store.drop_cache_invalidations([done.record_id])
        store.commit()
    except Exception as error:
        # The write is committed and Redis has dropped its documents; a record left behind only
        # costs one more (harmless) replay, so the write must not fail for it.
        store.rollback()
        log.warning("could not remove a replayed cache invalidation: %s", error)


def replay() -> int:
    """Drop every document of every recorded invalidation; the number of records replayed."""
    records = store.cache_invalidations(REPLAY_BATCH)
    if not records:
        return 0
    names = {name for record in records for name in record.names.split()}
    if not cache.expire(sorted(names)):
        return 0
    store.drop_cache_invalidations([record.id for record in records])
    store.commit()
    return len(records)


def _recover() -> None:
    """The cache's recovery hook: replay everything, or fail so the cache stays untrusted."""
    try:
        while replay() == REPLAY_BATCH:
            pass
    except Exception:
        store.rollback()
        raise


class Sweep:
    """Replays records that no request of this process would: another process's, or a crashed
    writer's. Runs in every serving process, so a lost invalidation is found within `interval`.
    Started by the first document read or write, so CLI commands and forks start none."""

    def __init__(self, app: Flask, interval: float) -> None:
        self.app, self.interval = app, interval
        self.stop = threading.Event()
        self.thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            if self.thread is None:
                self.thread = threading.Thread(target=self._run, name="cache-replay", daemon=True)
                self.thread.start()

    def _run(self) -> None:
        while not self.stop.wait(self.interval):
            with self.app.app_context():
                try:
                    _recover()
                except Exception as error:
                    log.warning("replaying cache invalidations failed: %s", error)


def init_app(app: Flask) -> None:
    cache.on_recovery(app, _recover)
    interval = float(app.config.get("CACHE_REPLAY_INTERVAL", 0))
    if app.config.get("REDIS_URL") and interval > 0:
        app.extensions["factcheck.replay"] = Sweep(app, interval)


def _start_sweep() -> None:
    sweep: Sweep | None = current_app.extensions.get("factcheck.replay")
    if sweep is not None and sweep.thread is None:
        sweep.start()
