"""Bookkeeping rows that are not resources: Idempotency-Key records, cache invalidations, and
each fact-check's place in the feed. Queries only; store.unit_of_work commits."""

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import delete as delete_rows
from sqlalchemy import insert, select, text
from sqlalchemy.exc import IntegrityError

from factcheck.storage import filters, search_index, store
from factcheck.storage.db import db
from factcheck.storage.filters import Filters
from factcheck.storage.models import CacheInvalidation, FactCheck, FeedEntry, IdempotencyRecord

# Any constant: the advisory lock that orders feed writers on PostgreSQL.
FEED_LOCK = 0x66656564


class KeyTaken(Exception):
    """Another request under this Idempotency-Key committed first."""


def hold_idempotency_key(record: IdempotencyRecord, expired_before: datetime) -> None:
    """Insert the key's record in the caller's transaction, before the write it guards.

    The unique constraint serializes duplicates: PostgreSQL makes a second INSERT of the key wait
    until the first transaction ends, SQLite's BEGIN IMMEDIATE queues writers. A record of the
    same key past its lifetime gives way.
    """
    db.session.execute(
        delete_rows(IdempotencyRecord).where(
            IdempotencyRecord.api_key_id == record.api_key_id,
            IdempotencyRecord.key == record.key,
            IdempotencyRecord.date_created < expired_before,
        )
    )
    db.session.add(record)
    try:
        db.session.flush()
    except IntegrityError:
        raise KeyTaken(record.key) from None


def idempotency_record(api_key_id: int, key: str) -> IdempotencyRecord | None:
    return db.session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.api_key_id == api_key_id, IdempotencyRecord.key == key
        )
    )


def purge_idempotency_keys(created_before: datetime) -> int:
    with store.unit_of_work():
        result = db.session.execute(
            delete_rows(IdempotencyRecord).where(IdempotencyRecord.date_created < created_before)
        )
    return int(getattr(result, "rowcount", 0) or 0)


def cache_invalidations(limit: int) -> Sequence[CacheInvalidation]:
    return db.session.scalars(
        select(CacheInvalidation).order_by(CacheInvalidation.id).limit(limit)
    ).all()


def drop_cache_invalidations(ids: Sequence[int]) -> None:
    """Gone already is fine: two processes may replay the same record."""
    with store.unit_of_work():
        delete_cache_invalidations(ids)


def delete_cache_invalidations(ids: Sequence[int]) -> None:
    """In the caller's transaction."""
    db.session.execute(delete_rows(CacheInvalidation).where(CacheInvalidation.id.in_(ids)))


# --- the feed ---------------------------------------------------------------------------------


def record_feed_change(fact_check_id: int) -> None:
    """Move the fact-check to the end of the feed, in the caller's transaction, at its end.

    A mirror reads past the last sequence it saw, so a sequence must never become visible after a
    higher one. SQLite has one writer at a time; on PostgreSQL an advisory lock held to commit
    makes feed writers take and commit their sequences in order. The lock is taken as late as
    can be, just before the COMMIT (store.before_commit): feed writers queue on it, so it is
    held for these few statements only, not over the change and its answer's rendering.
    """
    # The text is analysed now, before the lock; only the index's statements wait for it.
    index_change = search_index.refresh(fact_check_id)
    store.before_commit(lambda: _move_to_feed_end(fact_check_id, index_change))


# One round trip: the lock, then the row inserted or given the next sequence (the row the
# fact-check had is replaced). The lock's row feeds the INSERT, so it is taken before nextval.
_POSTGRES_MOVE = text(
    "WITH locked AS (SELECT pg_advisory_xact_lock(:key)) "
    "INSERT INTO feed_entries (fact_check_id) SELECT :fact_check_id FROM locked "
    "ON CONFLICT (fact_check_id) DO UPDATE "
    "SET sequence = nextval(pg_get_serial_sequence('feed_entries', 'sequence'))"
)


def _move_to_feed_end(fact_check_id: int, index_change: Callable[[], None]) -> None:
    if store.dialect() == "postgresql":
        db.session.execute(_POSTGRES_MOVE, {"key": FEED_LOCK, "fact_check_id": fact_check_id})
    else:
        db.session.execute(delete_rows(FeedEntry).where(FeedEntry.fact_check_id == fact_check_id))
        db.session.execute(insert(FeedEntry).values(fact_check_id=fact_check_id))
    # Every change of a public fact-check passes here: the search index follows in the same
    # transaction (after the lock, so index writers are ordered too).
    index_change()


def feed_page(
    after: int, limit: int, narrowed: Filters = filters.NONE
) -> Sequence[tuple[int, FactCheck]]:
    """Fact-checks whose latest change comes after sequence `after`, in change order."""
    rows = db.session.execute(
        select(FeedEntry.sequence, FactCheck)
        .options(*store.rendering_only())
        .join(FactCheck, FactCheck.id == FeedEntry.fact_check_id)
        .where(FeedEntry.sequence > after, *narrowed.conditions())
        .order_by(FeedEntry.sequence)
        .limit(limit)
    ).unique()
    return [(sequence, check) for sequence, check in rows]
