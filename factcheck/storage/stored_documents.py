"""Published documents kept in the database beside the data they show (`published_documents`).

Queries only, in the caller's transaction: a write replaces or removes the documents it alters
in its own unit of work, so they commit (or roll back) with the change itself.
"""

from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from typing import Any

from sqlalchemy import bindparam, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from factcheck.storage import store
from factcheck.storage.db import db
from factcheck.storage.documents import Document
from factcheck.storage.models import PUBLISHED, RETRACTED, FactCheck, PublishedDocument


def get(name: str) -> Document | None:
    """The stored document `name`: one primary-key SELECT."""
    row = db.session.execute(
        select(PublishedDocument.body, PublishedDocument.etag, PublishedDocument.media_type).where(
            PublishedDocument.name == name
        )
    ).one_or_none()
    if row is None:
        return None
    return Document(bytes(row.body), row.etag, row.media_type)


def get_outside_session(name: str) -> Document | None:
    """For the fast lane (an app context, no request): the stored document `name` in one
    primary-key SELECT on a pooled connection of its own, given back at once (the pool rolls
    back on return), with nothing made in the request's session. The driver's cursor is used
    directly: SQLAlchemy's Connection (its transaction, events and result) cost twice the read
    itself, on every read while Redis is down. None when there is no row or the database
    failed: the caller then goes the normal way, which reads (and answers 503) as always."""
    engine = db.engine
    try:
        connection = engine.raw_connection()  # checked by the pool's pre-ping
    except SQLAlchemyError:
        return None
    try:
        cursor = connection.cursor()
        try:
            cursor.execute(_by_name(engine.dialect.paramstyle), _parameters(name, engine))
            row = cursor.fetchone()
        finally:
            cursor.close()
    except engine.dialect.loaded_dbapi.Error:
        return None
    finally:
        connection.close()
    if row is None:
        return None
    body, etag, media_type = row
    return Document(bytes(body), etag, media_type)


@cache
def _by_name(paramstyle: str) -> str:
    """The SELECT of get_outside_session in the driver's placeholder style (sqlite3's qmark,
    psycopg's pyformat)."""
    placeholder = "?" if paramstyle == "qmark" else "%(name)s"
    return (
        "SELECT body, etag, media_type FROM "
        f"{PublishedDocument.__tablename__} WHERE name = {placeholder}"
    )


def _parameters(name: str, engine: Any) -> Any:
    return (name,) if engine.dialect.paramstyle == "qmark" else {"name": name}


def put(name: str, document: Document) -> None:
    """Store or replace `name`, in the caller's transaction."""
    put_all({name: document})


def put_all(documents: Mapping[str, Document]) -> None:
    """Store or replace each named document, in the caller's transaction: one INSERT of all of
    them (a fact-check's JSON and ClaimReview were two round trips per write)."""
    if documents:
        rows = [_row(name, document) for name, document in sorted(documents.items())]
        db.session.execute(_upsert(store.dialect(), True, len(rows)), _numbered(rows))


def put_if_absent(name: str, document: Document) -> None:
    """Store `name` unless a row is there: a writer's row (newer, or waited for) wins."""
    _insert(name, document, replace=False)


def drop(names: Iterable[str]) -> None:
    wanted = sorted(set(names))
    if wanted:
        db.session.execute(delete(PublishedDocument).where(PublishedDocument.name.in_(wanted)))


def _insert(name: str, document: Document, replace: bool) -> None:
    db.session.execute(_upsert(store.dialect(), replace, 1), _numbered([_row(name, document)]))


COLUMNS = ("name", "body", "etag", "media_type")


def _row(name: str, document: Document) -> dict[str, Any]:
    return {
        "name": name,
        "body": document.body,
        "etag": document.etag,
        "media_type": document.media_type,
    }


def _numbered(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The rows' values as the parameters of _upsert's statement: `name_0`, `body_0`, ..."""
    return {
        f"{column}_{index}": value
        for index, row in enumerate(rows)
        for column, value in row.items()
    }


@cache
def _upsert(dialect_name: str, replace: bool, count: int) -> Any:
    """The INSERT ... ON CONFLICT of `count` rows in a dialect, built once for each count (the
    parameters, named by _numbered, come at execution), so SQLAlchemy compiles it once too."""
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    rows: list[dict[str, Any]] = [
        {column: bindparam(f"{column}_{index}") for column in COLUMNS} for index in range(count)
    ]
    statement: Any = dialect.insert(PublishedDocument.__table__).values(rows)
    if replace:
        changed = {key: statement.excluded[key] for key in ("body", "etag", "media_type")}
        return statement.on_conflict_do_update(index_elements=["name"], set_=changed)
    return statement.on_conflict_do_nothing(index_elements=["name"])


def fact_check_for_update(fact_check_id: int) -> FactCheck | None:
    """The fact-check as committed now, its row locked to the end of the transaction on
    PostgreSQL (SQLite's BEGIN IMMEDIATE already holds the one write lock): a writer of it
    waits, or has committed first."""
    return db.session.scalar(
        select(FactCheck)
        .where(FactCheck.id == fact_check_id)
        .with_for_update(of=FactCheck)
        .execution_options(populate_existing=True)
    )


def public_fact_checks_of_organization(organization_id: int) -> Sequence[FactCheck]:
    return db.session.scalars(
        select(FactCheck)
        .where(
            FactCheck.organization_id == organization_id,
            FactCheck.status.in_((PUBLISHED, RETRACTED)),
        )
        .order_by(FactCheck.id)
    ).all()
