"""The only module that talks to the database session. One commit per use case, here."""

import logging
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, exists, func, insert, or_, select, text
from sqlalchemy import delete as delete_rows
from sqlalchemy import update as update_rows
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from . import search
from .db import db
from .errors import Conflict, PreconditionFailed
from .models import (
    PUBLISHED,
    RETRACTED,
    ApiKey,
    Article,
    CacheInvalidation,
    FactCheck,
    FeedEntry,
    IdempotencyRecord,
    Organization,
    Revision,
)

log = logging.getLogger(__name__)

ModelT = TypeVar("ModelT")


def get(model: type[ModelT], primary_key: int) -> ModelT | None:
    return db.session.get(model, primary_key)


def add(instance: Any) -> None:
    db.session.add(instance)


def delete(instance: Any) -> None:
    db.session.delete(instance)


def flush() -> None:
    # The versioned UPDATE runs here when a use case flushes before its commit, so a lost race
    # must become the same 412 as at commit.
    _settled(db.session.flush)


def commit() -> None:
    _settled(db.session.commit)


def _settled(write: Callable[[], None]) -> None:
    """Run a flush or commit, turning the races the database settles into the client's errors."""
    try:
        write()
    except StaleDataError:
        db.session.rollback()
        raise PreconditionFailed(
            "Someone else changed this resource first; fetch it again."
        ) from None
    except IntegrityError as error:
        db.session.rollback()
        raise Conflict(f"The change conflicts with stored data: {error.orig}") from None


def rollback() -> None:
    db.session.rollback()


def organization_by_slug(slug: str) -> Organization | None:
    return db.session.scalar(select(Organization).where(Organization.slug == slug))


def api_key_by_prefix(prefix: str) -> ApiKey | None:
    return db.session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))


def article_by_url_key(organization_id: int, url_key: str) -> Article | None:
    return db.session.scalar(
        select(Article).where(
            Article.organization_id == organization_id, Article.url_key == url_key
        )
    )


def article_by_headline(organization_id: int, headline: str) -> Article | None:
    return db.session.scalar(
        select(Article)
        .where(Article.organization_id == organization_id, Article.headline == headline)
        .order_by(Article.id)
        .limit(1)
    )


def fact_check_by_url_key(organization_id: int, url_key: str) -> FactCheck | None:
    return db.session.scalar(
        select(FactCheck).where(
            FactCheck.organization_id == organization_id, FactCheck.url_key == url_key
        )
    )


def _public_fact_check() -> ColumnElement[bool]:
    return FactCheck.status.in_((PUBLISHED, RETRACTED))


def _visible_article(organization_id: int | None) -> ColumnElement[bool]:
    """An article is public once one of its fact-checks is; its own organization always sees it."""
    public = exists().where(FactCheck.article_id == Article.id, _public_fact_check())
    if organization_id is None:
        return public
    return or_(Article.organization_id == organization_id, public)


def _visible_fact_check(organization_id: int | None) -> ColumnElement[bool]:
    if organization_id is None:
        return _public_fact_check()
    return or_(FactCheck.organization_id == organization_id, _public_fact_check())


def article_is_visible(article: Article, organization_id: int | None) -> bool:
    query = select(exists().where(Article.id == article.id, _visible_article(organization_id)))
    return bool(db.session.scalar(query))


def articles(
    viewer_organization_id: int | None, page: int, page_size: int, url_key: str | None = None
) -> tuple[Sequence[Article], int]:
    query = select(Article).where(_visible_article(viewer_organization_id))
    if url_key is not None:
        query = query.where(Article.url_key == url_key)
    return _page(query.order_by(Article.id), page, page_size)


def fact_checks(
    viewer_organization_id: int | None,
    page: int,
    page_size: int,
    article_id: int | None = None,
    status: str | None = None,
    url_key: str | None = None,
) -> tuple[Sequence[FactCheck], int]:
    query = select(FactCheck).where(_visible_fact_check(viewer_organization_id))
    if article_id is not None:
        query = query.where(FactCheck.article_id == article_id)
    if status is not None:
        query = query.where(FactCheck.status == status)
    if url_key is not None:
        query = query.where(FactCheck.url_key == url_key)
    return _page(query.order_by(FactCheck.id), page, page_size)


def fact_checks_of_article(article_id: int) -> Sequence[FactCheck]:
    """All of them, drafts included: for checks and invalidation, never for display."""
    return db.session.scalars(
        select(FactCheck).where(FactCheck.article_id == article_id).order_by(FactCheck.id)
    ).all()


def published_fact_checks_of_article(article_id: int) -> Sequence[FactCheck]:
    return db.session.scalars(
        select(FactCheck)
        .where(FactCheck.article_id == article_id, FactCheck.status == PUBLISHED)
        .order_by(FactCheck.quote_offset, FactCheck.id)
    ).all()


def fact_check_count(article_id: int) -> int:
    query = select(func.count()).select_from(FactCheck).where(FactCheck.article_id == article_id)
    return db.session.scalar(query) or 0


def revisions(fact_check_id: int) -> Sequence[Revision]:
    return db.session.scalars(
        select(Revision).where(Revision.fact_check_id == fact_check_id).order_by(Revision.version)
    ).all()


# --- idempotency keys ------------------------------------------------------------------------


def reserve_idempotency_key(record: IdempotencyRecord) -> int | None:
    """Insert the reservation in a transaction of its own; None when the key is taken.

    The INSERT against the unique constraint is what serializes duplicates: PostgreSQL makes a
    second insert wait for the first to commit, SQLite's BEGIN IMMEDIATE queues writers.
    """
    db.session.add(record)
    try:
        db.session.flush()
        record_id = record.id
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return None
    return record_id


def idempotency_record(api_key_id: int, key: str) -> IdempotencyRecord | None:
    return db.session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.api_key_id == api_key_id, IdempotencyRecord.key == key
        )
    )


def complete_idempotency_key(
    record_id: int, status: int, headers: dict[str, str], body: bytes
) -> None:
    """Keep the response for replay. The write itself is committed already, so a failure here
    is logged, not raised: the client still gets its answer."""
    try:
        db.session.execute(
            update_rows(IdempotencyRecord)
            .where(IdempotencyRecord.id == record_id)
            .values(status=status, headers=headers, body=body)
        )
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("could not store the response for idempotency record %s", record_id)


def release_idempotency_key(record_id: int) -> None:
    """Drop a reservation whose request failed, and whatever that request left unflushed."""
    db.session.rollback()
    db.session.execute(delete_rows(IdempotencyRecord).where(IdempotencyRecord.id == record_id))
    db.session.commit()


def purge_idempotency_keys(created_before: datetime) -> int:
    result = db.session.execute(
        delete_rows(IdempotencyRecord).where(IdempotencyRecord.date_created < created_before)
    )
    db.session.commit()
    return int(getattr(result, "rowcount", 0) or 0)


def _page(query: Select[Any], page: int, page_size: int) -> tuple[Sequence[Any], int]:
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    items = db.session.scalars(query.limit(page_size).offset((page - 1) * page_size)).unique().all()
    return items, total or 0


def cache_invalidations(limit: int) -> Sequence[CacheInvalidation]:
    return db.session.scalars(
        select(CacheInvalidation).order_by(CacheInvalidation.id).limit(limit)
    ).all()


def drop_cache_invalidations(ids: Sequence[int]) -> None:
    """Gone already is fine: two processes may replay the same record."""
    db.session.execute(delete_rows(CacheInvalidation).where(CacheInvalidation.id.in_(ids)))


# --- search and feed -------------------------------------------------------------------------

# Any constant: the advisory lock that orders feed writers on PostgreSQL.
FEED_LOCK = 0x66656564


def organizations() -> Sequence[Organization]:
    return db.session.scalars(select(Organization).order_by(Organization.id)).all()


def search_published(
    query: search.Query | None,
    offset: int,
    limit: int,
    *,
    language: str | None = None,
    organization_ids: Sequence[int] | None = None,
    published_since: datetime | None = None,
    claimed_since: date | None = None,
) -> Sequence[FactCheck]:
    """Published fact-checks matching `query` (best first), else the newest first."""
    conditions: list[ColumnElement[bool]] = [FactCheck.status == PUBLISHED]
    if language is not None:
        lowered = func.lower(FactCheck.in_language)
        conditions.append(or_(lowered == language, lowered.like(language + "-%")))
    if organization_ids is not None:
        conditions.append(FactCheck.organization_id.in_(organization_ids))
    if published_since is not None and claimed_since is not None:
        conditions.append(
            or_(FactCheck.date_published >= published_since, FactCheck.claim_date >= claimed_since)
        )
    statement = select(FactCheck).options(*_rendering_only())
    if query is not None:
        best = search.ranked(query, _dialect(), conditions)
        statement = statement.join(best, best.c.id == FactCheck.id).order_by(
            best.c.score.desc(), FactCheck.id.desc()
        )
    else:
        statement = statement.where(*conditions).order_by(
            FactCheck.date_published.desc(), FactCheck.id.desc()
        )
    return db.session.scalars(statement.offset(offset).limit(limit)).unique().all()


def record_feed_change(fact_check_id: int) -> None:
    """Move the fact-check to the end of the feed, in the caller's transaction.

    A mirror reads past the last sequence it saw, so a sequence must never become visible after a
    higher one. SQLite has one writer at a time; on PostgreSQL an advisory lock held to commit
    makes feed writers take and commit their sequences in order.
    """
    if _dialect() == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": FEED_LOCK})
    db.session.execute(delete_rows(FeedEntry).where(FeedEntry.fact_check_id == fact_check_id))
    db.session.execute(insert(FeedEntry).values(fact_check_id=fact_check_id))


def feed_page(after: int, limit: int) -> Sequence[tuple[int, FactCheck]]:
    """Fact-checks whose latest change comes after sequence `after`, in change order."""
    rows = db.session.execute(
        select(FeedEntry.sequence, FactCheck)
        .options(*_rendering_only())
        .join(FactCheck, FactCheck.id == FeedEntry.fact_check_id)
        .where(FeedEntry.sequence > after)
        .order_by(FeedEntry.sequence)
        .limit(limit)
    ).unique()
    return [(sequence, check) for sequence, check in rows]


def bulk_insert_published(
    articles: list[dict[str, Any]], fact_checks: list[dict[str, Any]]
) -> None:
    """Insert generated rows in a few statements; each fact-check names its article by index.

    The search index follows through the migration's triggers; the feed gets the new
    fact-checks in id order. One commit for the batch, then fresh planner statistics.
    """
    article_ids = db.session.scalars(
        insert(Article).returning(Article.id, sort_by_parameter_order=True), articles
    ).all()
    before = db.session.scalar(select(func.max(FactCheck.id))) or 0
    rows = [
        {**{k: v for k, v in row.items() if k != "article_index"}, "article_id": article_ids[i]}
        for row, i in ((row, row["article_index"]) for row in fact_checks)
    ]
    db.session.execute(insert(FactCheck), rows)
    db.session.execute(
        insert(FeedEntry).from_select(
            ["fact_check_id"],
            select(FactCheck.id).where(FactCheck.id > before).order_by(FactCheck.id),
        )
    )
    db.session.commit()
    if _dialect() == "postgresql":
        # Fresh statistics, so the planner sees how common each word now is (search.ranked
        # relies on it to walk ids backwards for common words); autovacuum would lag a bulk load.
        db.session.execute(text("ANALYZE fact_checks"))
        db.session.commit()


def _rendering_only() -> tuple[Any, ...]:
    """Lists render ClaimReviews and summaries, never the article's full text (up to 200 kB)."""
    return (joinedload(FactCheck.article).defer(Article.text),)


def _dialect() -> str:
    return db.session.get_bind().dialect.name
