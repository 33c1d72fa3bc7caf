"""The database session's owner: the unit of work, and the queries of resources.

A use case that writes runs inside `unit_of_work()`: one transaction, begun for writing and
committed once, here, the only commit in the service. records.py (bookkeeping rows) and
search_index.py (the search index) query and add through the same session, inside units of work.
"""

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, TypeVar, cast

from flask import current_app
from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    bindparam,
    exists,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from factcheck.problems import Conflict, PreconditionFailed
from factcheck.storage import search_index
from factcheck.storage.db import db, writer_turn, writing
from factcheck.storage.filters import NONE, Filters
from factcheck.storage.models import (
    PUBLISHED,
    RETRACTED,
    ApiKey,
    Article,
    AuditEntry,
    FactCheck,
    FeedEntry,
    Member,
    Organization,
    RatingScale,
    Revision,
    WebhookSubscription,
)

log = logging.getLogger(__name__)

ModelT = TypeVar("ModelT")

# The callbacks of the unit of work in progress, run after its commit; None outside one.
_after_commit: ContextVar[list[Callable[[], None]] | None] = ContextVar(
    "factcheck_after_commit", default=None
)
# Its last statements, run just before the commit (after the answer is rendered), in order.
_before_commit: ContextVar[list[Callable[[], None]] | None] = ContextVar(
    "factcheck_before_commit", default=None
)
# Organizations this unit of work found without an enabled webhook subscription, read with the
# fact-check it changes (fact_check_for_change); taken by the change's outbox (unheard).
_unheard: ContextVar[set[int] | None] = ContextVar("factcheck_unheard", default=None)


@contextmanager
def unit_of_work() -> Iterator[None]:
    """One use case's transaction: begun for writing, committed at the end, rolled back on error.

    Re-entrant: a use case called by another (the seed publishing what it created) joins the
    outer unit. Races the database settles become the client's errors: a lost version race 412,
    a unique constraint 409.
    """
    if _after_commit.get() is not None:
        yield
        return
    # Start from a clean session: a read transaction may be open (the API key was looked up).
    transaction = db.session().get_transaction()
    if db.engine.dialect.name == "sqlite" or transaction is None or not transaction.is_active:
        # On SQLite the write must begin as one (BEGIN IMMEDIATE, so writers queue).
        db.session.rollback()
    else:
        # On PostgreSQL the read transaction goes on as the write's: at READ COMMITTED each
        # statement reads what is committed when it runs, so the earlier reads pin nothing, and
        # the ROLLBACK, the pool's checkin, checkout and ping and the new BEGIN were four round
        # trips per write. What was loaded is read again, as after a rollback.
        db.session.expire_all()
    callbacks: list[Callable[[], None]] = []
    last: list[Callable[[], None]] = []
    unit, write = _after_commit.set(callbacks), writing.set(True)
    ending, unheard = _before_commit.set(last), _unheard.set(set())
    try:
        # On SQLite writers wait for their turn first (storage/db.writer_turn), and the turn
        # ends only once the transaction has.
        with writer_turn(db.engine, current_app.config["DATABASE_LOCK_TIMEOUT"]):
            try:
                yield
                flush()
                for statement in last:
                    statement()
                db.session.commit()
            except BaseException:
                db.session.rollback()
                raise
    except StaleDataError:
        raise PreconditionFailed(
            "Someone else changed this resource first; fetch it again."
        ) from None
    except IntegrityError as error:
        raise Conflict(f"The change conflicts with stored data: {error.orig}") from None
    finally:
        _unheard.reset(unheard)
        _before_commit.reset(ending)
        _after_commit.reset(unit)
        writing.reset(write)
    for callback in callbacks:
        callback()


def after_commit(callback: Callable[[], None]) -> None:
    """Run `callback` once the unit of work in progress has committed (never if it fails)."""
    callbacks = _after_commit.get()
    if callbacks is None:
        raise RuntimeError("after_commit outside a unit of work")
    callbacks.append(callback)


def before_commit(statements: Callable[[], None]) -> None:
    """Run `statements` at the end of the unit of work in progress, after everything else and
    just before its COMMIT: for a lock that orders writers (the feed's), so it is held for the
    least time, never over the work of the change or the rendering of its answer."""
    last = _before_commit.get()
    if last is None:
        raise RuntimeError("before_commit outside a unit of work")
    last.append(statements)


def get(model: type[ModelT], primary_key: int) -> ModelT | None:
    return db.session.get(model, primary_key)


def fact_check_for_change(fact_check_id: int) -> FactCheck | None:
    """The fact-check with its corrections joined: one round trip instead of two. The same
    statement tells whether its organization has an enabled webhook subscription: when it has
    none, the change's outbox sends no SELECT of its own (`unheard`)."""
    row = db.session.execute(_for_change(), {"fact_check_id": fact_check_id}).unique().first()
    if row is None:
        return None
    check, listened = row
    unheard = _unheard.get()
    if not listened and unheard is not None:
        unheard.add(check.organization_id)
    return check


@cache
def _for_change() -> Select[FactCheck, bool]:
    """fact_check_for_change's statement, built once (every change of a fact-check runs it)."""
    listened = exists().where(
        WebhookSubscription.organization_id == FactCheck.organization_id,
        WebhookSubscription.enabled.is_(True),
    )
    return (
        select(FactCheck, listened.label("listened"))
        .options(joinedload(FactCheck.corrections))
        .where(FactCheck.id == bindparam("fact_check_id"))
    )


def unheard(organization_id: int) -> bool:
    """Whether this unit of work read, with a fact-check it changes, that the organization had
    no enabled webhook subscription. Read in that same transaction, as the outbox's own SELECT
    would be (at READ COMMITTED each statement sees what is committed when it runs; SQLite's
    writers run one at a time), so nothing is missed that the SELECT would have seen then.
    Answered once: a second change of the organization in the unit of work asks again."""
    found = _unheard.get()
    if found is None or organization_id not in found:
        return False
    found.discard(organization_id)
    return True


def add(instance: Any) -> None:
    db.session.add(instance)


def delete(instance: Any) -> None:
    db.session.delete(instance)


def flush() -> None:
    """Send pending changes now (ids, the versioned UPDATE); a lost race is raised here as at
    commit."""
    try:
        db.session.flush()
    except StaleDataError:
        raise PreconditionFailed(
            "Someone else changed this resource first; fetch it again."
        ) from None


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


@dataclass(frozen=True)
class FactCheckFilter:
    """What a list of fact-checks is narrowed to; None leaves a criterion open."""

    article_id: int | None = None
    status: str | None = None
    url_key: str | None = None
    narrowed: Filters = NONE


def fact_checks(
    viewer_organization_id: int | None,
    page: int,
    page_size: int,
    where: FactCheckFilter = FactCheckFilter(),
) -> tuple[Sequence[FactCheck], int]:
    query = select(FactCheck).where(_visible_fact_check(viewer_organization_id))
    if where.article_id is not None:
        query = query.where(FactCheck.article_id == where.article_id)
    if where.status is not None:
        query = query.where(FactCheck.status == where.status)
    if where.url_key is not None:
        query = query.where(FactCheck.url_key == where.url_key)
    query = query.where(*where.narrowed.conditions())
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


def _page(query: Select[Any], page: int, page_size: int) -> tuple[Sequence[Any], int]:
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    items = db.session.scalars(query.limit(page_size).offset((page - 1) * page_size)).unique().all()
    return items, total or 0


def organizations() -> Sequence[Organization]:
    return db.session.scalars(select(Organization).order_by(Organization.id)).all()


def bulk_insert_published(
    articles: list[dict[str, Any]],
    fact_checks: list[dict[str, Any]],
    analysed: Sequence[tuple[dict[str, int], int]] | None = None,
    load: search_index.Load | None = None,
) -> None:
    """Insert generated rows in a few statements; each fact-check names its article by index.

    The search index gets them in the same transaction (`analysed`: each one's term frequencies
    and length, as search_index.analyse_row gives them, when worked out already); the feed gets
    the new fact-checks in id order. One commit for the batch, then fresh planner statistics,
    unless the batch is part of a `load` (the generator analyses once at its end).
    """
    with unit_of_work():
        # Ids chosen first, so the rows go in one executemany each (a RETURNING of SQLite's
        # came back row by row: a fifth of a load's time).
        article_ids = _new_ids(Article, len(articles))
        db.session.execute(
            insert(cast(Table, Article.__table__)),
            [{**row, "id": i} for row, i in zip(articles, article_ids, strict=True)],
        )
        before = db.session.scalar(select(func.max(FactCheck.id))) or 0
        ids = _new_ids(FactCheck, len(fact_checks))
        rows = [
            {
                **{k: v for k, v in row.items() if k != "article_index"},
                "id": fact_check_id,
                "article_id": article_ids[row["article_index"]],
            }
            for row, fact_check_id in zip(fact_checks, ids, strict=True)
        ]
        db.session.execute(insert(cast(Table, FactCheck.__table__)), rows)
        if analysed is None:
            headlines = [articles[row["article_index"]]["headline"] for row in fact_checks]
            indexed = [
                search_index.analyse_row(*one) for one in zip(ids, rows, headlines, strict=True)
            ]
        else:
            indexed = [
                search_index.Indexed(fact_check_id, frequencies, length)
                for fact_check_id, (frequencies, length) in zip(ids, analysed, strict=True)
            ]
        search_index.add(indexed, load)
        db.session.execute(
            insert(FeedEntry).from_select(
                ["fact_check_id"],
                select(FactCheck.id).where(FactCheck.id > before).order_by(FactCheck.id),
            )
        )
    if dialect() == "postgresql" and load is None:
        # Fresh statistics for the planner; autovacuum would lag a bulk load.
        with unit_of_work():
            for table in ("fact_checks", "search_postings", "search_terms"):
                db.session.execute(text(f"ANALYZE {table}"))


def _new_ids(model: type[Article] | type[FactCheck], count: int) -> list[int]:
    """`count` ids for new rows: from the table's sequence on PostgreSQL; on SQLite the next
    ones after the largest, which is what SQLite would choose (the write lock is held)."""
    name = model.__tablename__
    if dialect() == "postgresql":
        sequence = f"pg_get_serial_sequence('{name}', 'id')"
        found = db.session.scalars(
            text(f"SELECT nextval({sequence}) FROM generate_series(1, :count)"), {"count": count}
        )
        return list(found)
    largest = db.session.scalar(select(func.max(model.id))) or 0
    return list(range(largest + 1, largest + 1 + count))


def rendering_only() -> tuple[Any, ...]:
    """Lists render ClaimReviews and summaries, never the article's full text (up to 200 kB)."""
    return (joinedload(FactCheck.article).defer(Article.text),)


def dialect() -> str:
    return db.session.get_bind().dialect.name


def rating_scales(organization_id: int) -> Sequence[RatingScale]:
    return db.session.scalars(
        select(RatingScale)
        .where(RatingScale.organization_id == organization_id)
        .order_by(RatingScale.version)
    ).all()


def rating_scale(organization_id: int, version: int) -> RatingScale | None:
    return db.session.scalar(
        select(RatingScale).where(
            RatingScale.organization_id == organization_id, RatingScale.version == version
        )
    )


def recent_published_fact_checks(organization_id: int, limit: int) -> Sequence[FactCheck]:
    return db.session.scalars(
        select(FactCheck)
        .where(FactCheck.organization_id == organization_id, FactCheck.status == PUBLISHED)
        .order_by(FactCheck.date_published.desc(), FactCheck.id.desc())
        .limit(limit)
    ).all()


def documents_of_organization(organization_id: int) -> tuple[list[int], list[int]]:
    """The ids of every article and fact-check of the organization, drafts included: for
    invalidation, never for display."""
    articles = db.session.scalars(
        select(Article.id).where(Article.organization_id == organization_id)
    ).all()
    checks = db.session.scalars(
        select(FactCheck.id).where(FactCheck.organization_id == organization_id)
    ).all()
    return list(articles), list(checks)


def audit_entries(
    organization_id: int, page: int, page_size: int
) -> tuple[Sequence[AuditEntry], int]:
    query = select(AuditEntry).where(AuditEntry.organization_id == organization_id)
    return _page(query.order_by(AuditEntry.id.desc()), page, page_size)


def members(organization_id: int) -> Sequence[Member]:
    """The organization's members, removed ones left out."""
    query = select(Member).where(
        Member.organization_id == organization_id, Member.date_removed.is_(None)
    )
    return db.session.scalars(query.order_by(Member.id)).all()


def api_keys(organization_id: int, now: datetime) -> Sequence[ApiKey]:
    """The organization's keys that still work: not revoked, not past a rotation's grace."""
    query = select(ApiKey).where(
        ApiKey.organization_id == organization_id,
        ApiKey.date_revoked.is_(None),
        or_(ApiKey.date_expires.is_(None), ApiKey.date_expires > now),
    )
    return db.session.scalars(query.order_by(ApiKey.id)).all()


def keys_of_member(member_id: int) -> Sequence[ApiKey]:
    return db.session.scalars(select(ApiKey).where(ApiKey.member_id == member_id)).all()


def note_key_used(key_id: int, now: datetime, unless_since: datetime) -> None:
    """Note that the key was used, unless that was noted since `unless_since` already: one
    small UPDATE now and then, not one per request, in a transaction of its own.

    Best effort: a read must go on while another writer holds SQLite's lock or the database
    refuses writes, so a failure here is logged and the request carries on.
    """
    try:
        with unit_of_work():
            db.session.execute(
                update(ApiKey)
                .where(
                    ApiKey.id == key_id,
                    or_(ApiKey.date_last_used.is_(None), ApiKey.date_last_used < unless_since),
                )
                .values(date_last_used=now)
            )
    except (OperationalError, InterfaceError, PoolTimeout) as error:
        log.warning("could not note that API key %s was used: %s", key_id, error)
