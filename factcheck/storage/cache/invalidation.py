"""Durable invalidation: a write's stale documents leave Redis even when Redis missed the write.

A write records the names it makes stale in its own transaction (a `cache_invalidations` row) and
drops them from Redis after the commit. The row, once Redis has dropped its names, is deleted by
the next write of this process that records one, inside that write's transaction (or by the
sweep), so a write costs one commit, not two. Whatever Redis missed (it was down, paused, or the
process died right after the commit) is replayed from the rows: before this process trusts Redis
again (the breaker's recovery hook) and, for other processes and crashed writers, by a sweep
every CACHE_REPLAY_INTERVAL seconds. Replaying a row Redis had already applied costs a few cache
misses, never a stale document.
"""

import logging
import threading
from collections.abc import Iterable
from typing import cast

from flask import Flask, current_app
from sqlalchemy import Table, bindparam, delete, insert

from factcheck.storage import cache, records, store
from factcheck.storage.cache.daemon import Daemon
from factcheck.storage.db import db
from factcheck.storage.models import CacheInvalidation, utcnow

log = logging.getLogger(__name__)

REPLAY_BATCH = 500
SWEEP = "factcheck.replay"
APPLIED = "factcheck.applied_invalidations"


def record(names: Iterable[str]) -> None:
    """Inside a unit of work: these documents must go once it commits, and will, even if Redis
    misses it now. The records Redis has applied since the last write go in this transaction."""
    unique = sorted(set(names))
    record_id = _insert(" ".join(unique), _take_applied())
    store.after_commit(lambda: _drop(record_id, unique))


def _insert(names: str, applied: list[int]) -> int:
    """The new record's id. On PostgreSQL the applied records' DELETE rides in the INSERT's
    statement (a WITH clause): one round trip, where there were two; SQLite runs in-process,
    so the DELETE stays its own. Plain Core statements on the table: no ORM flush of the
    session here (the unit of work flushes the change later), no identity map to sync."""
    parameters = {"names": names, "date_created": utcnow(), "applied": applied}
    together = store.dialect() == "postgresql"
    if applied and not together:
        db.session.execute(_DELETE_APPLIED, parameters)
    statement = _INSERT_AFTER_DELETE if applied and together else _INSERT
    return int(db.session.execute(statement, parameters).scalar_one())


_TABLE = cast(Table, CacheInvalidation.__table__)
_DELETE_APPLIED = delete(_TABLE).where(_TABLE.c.id.in_(bindparam("applied", expanding=True)))
_INSERT = (
    insert(_TABLE)
    .values(names=bindparam("names"), date_created=bindparam("date_created"))
    .returning(_TABLE.c.id)
)
_INSERT_AFTER_DELETE = _INSERT.add_cte(_DELETE_APPLIED.cte("applied_records"))


def _drop(record_id: int, names: list[str]) -> None:
    """After the commit: drop the documents from Redis; the record goes with the next write (or
    the sweep), or stays to be replayed if Redis failed."""
    start_sweep()
    if cache.expire(names):
        _applied().append(record_id)


class _Applied:
    """This app's records whose names Redis has dropped, not yet deleted. Each is taken by one
    transaction only, so concurrent writers never wait on each other's DELETE; one that rolls
    back leaves its rows to the sweep."""

    def __init__(self) -> None:
        self.ids: list[int] = []
        self.lock = threading.Lock()

    def append(self, record_id: int) -> None:
        with self.lock:
            self.ids.append(record_id)

    def take(self) -> list[int]:
        with self.lock:
            taken, self.ids = self.ids, []
        return taken


def _applied() -> _Applied:
    found: _Applied = current_app.extensions.setdefault(APPLIED, _Applied())
    return found


def _take_applied() -> list[int]:
    applied: _Applied | None = current_app.extensions.get(APPLIED)
    return applied.take() if applied is not None else []


def replay() -> int:
    """Drop every document of every recorded invalidation; the number of records replayed.
    Records Redis has applied already are deleted first, without being replayed."""
    applied = _take_applied()
    if applied:
        records.drop_cache_invalidations(applied)
    pending = records.cache_invalidations(REPLAY_BATCH)
    if not pending:
        return 0
    names = {name for row in pending for name in row.names.split()}
    if not cache.expire(sorted(names)):
        return 0
    records.drop_cache_invalidations([row.id for row in pending])
    return len(pending)


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
        self.daemon = Daemon(self._run, "cache-replay")

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
        app.extensions[SWEEP] = Sweep(app, interval)


def start_sweep() -> None:
    sweep: Sweep | None = current_app.extensions.get(SWEEP)
    if sweep is not None:
        sweep.daemon.ensure_started()
