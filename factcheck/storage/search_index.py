"""The search index of published fact-checks, and its exact BM25 ranking, alike on both engines.

Tables (migration 0007): `search_terms` (each term and how many indexed fact-checks hold it),
`search_postings` (term, fact-check, weighted term frequency, the fact-check's weighted length),
`search_documents` (each indexed fact-check's length) and `search_totals` (their number and
summed length). Only published fact-checks are in it, so drafts and retracted fact-checks are
neither found nor counted in any statistic.

The index is changed in the write's own transaction: `refresh` is called by
records.record_feed_change, which every change of a public fact-check goes through; it analyses
the text at once and writes it just before the COMMIT, under the feed's lock.

Ranking is in search_rank.py. K1, B, SCALE and WEIGHTS define it with the tables, here.
"""

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    Index,
    Integer,
    String,
    Table,
    bindparam,
    case,
    literal,
    select,
    update,
)
from sqlalchemy import delete as delete_rows
from sqlalchemy import insert as insert_rows
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import joinedload

from factcheck.storage import search_text
from factcheck.storage.db import Base, db
from factcheck.storage.models import PUBLISHED, Article, FactCheck

K1, B = 1.2, 0.75
SCALE = 1_000_000_000
# The weight of a word in each field: a word of the claim counts ten times one of the body.
WEIGHTS = {"claim": 10, "quote": 4, "claimant": 4, "explanation": 2, "headline": 2, "body": 1}

terms_table = Table(
    "search_terms",
    Base.metadata,
    Column("id", Integer, primary_key=True),
    Column("term", String(200), nullable=False, unique=True),
    Column("documents", Integer, nullable=False),
)
postings = Table(
    "search_postings",
    Base.metadata,
    # The key orders each term's postings by frequency, so the most frequent come first, and
    # holds the fact-check's length (copied) so ranking reads one index range per term.
    Column("term_id", Integer, primary_key=True),
    Column("frequency", Integer, primary_key=True),
    Column("length", Integer, primary_key=True),
    Column("fact_check_id", Integer, primary_key=True),
    Index("ix_search_postings_fact_check_term", "fact_check_id", "term_id", unique=True),
    sqlite_with_rowid=False,
)
documents = Table(
    "search_documents",
    Base.metadata,
    Column("fact_check_id", Integer, primary_key=True, autoincrement=False),
    Column("length", Integer, nullable=False),
)
totals = Table(
    "search_totals",
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("documents", BigInteger, nullable=False),
    Column("length", BigInteger, nullable=False),
    # No indexed fact-check was ever shorter: a bound for ranking (kept on removal, so it
    # stays a bound).
    Column("shortest", BigInteger, nullable=False),
)


@dataclass(frozen=True)
class Indexed:
    """One fact-check as the index holds it: weighted frequency per term, weighted length."""

    fact_check_id: int
    frequencies: dict[str, int]
    length: int


def analyse(check: FactCheck, headline: str | None) -> Indexed:
    """The fact-check's terms, stemmed in its language."""
    return analyse_row(check.id, _row(check), headline)


def analyse_row(fact_check_id: int, row: dict[str, Any], headline: str | None) -> Indexed:
    """The same from a row's column values (a bulk insert has no objects); quoted phrases
    match adjacent pairs, which are indexed as terms of their own."""
    lang = search_text.language(row.get("in_language"))
    fields = {
        "claim": row.get("claim_reviewed"),
        "quote": row.get("quote"),
        "claimant": (row.get("claim_author") or {}).get("name"),
        "explanation": row.get("rating_explanation"),
        "headline": headline,
        "body": row.get("review_body"),
    }
    frequencies: Counter[str] = Counter()
    length = 0
    for field, text in fields.items():
        found = search_text.terms(text, lang)
        weight = WEIGHTS[field]
        length += weight * len(found)
        for term in found:
            frequencies[term] += weight
        # Pairs do not cross fields, and do not count in the length.
        for pair in search_text.pairs(found):
            frequencies[pair] += weight
    return Indexed(fact_check_id, dict(frequencies), length)


def _row(check: FactCheck) -> dict[str, Any]:
    names = ("in_language", "claim_reviewed", "quote", "claim_author", "rating_explanation")
    return {name: getattr(check, name) for name in (*names, "review_body")}


def refresh(fact_check_id: int) -> Callable[[], None]:
    """The index's change for the fact-check as it is now, to apply later in the caller's
    transaction: its text if it is published; nothing of it otherwise (a draft, retracted,
    deleted). The text is analysed here, so that a caller can do it before taking a lock and
    hold the lock for the statements only."""
    check = db.session.get(FactCheck, fact_check_id)
    indexed = None
    if check is not None and check.status == PUBLISHED:
        indexed = analyse(check, check.article.headline)

    def apply() -> None:
        remove(fact_check_id)
        if indexed is not None:
            add([indexed])

    return apply


def remove(fact_check_id: int) -> None:
    length = db.session.scalar(
        select(documents.c.length).where(documents.c.fact_check_id == fact_check_id)
    )
    if length is None:
        return
    held = select(postings.c.term_id).where(postings.c.fact_check_id == fact_check_id)
    db.session.execute(
        update(terms_table)
        .where(terms_table.c.id.in_(held))
        .values(documents=terms_table.c.documents - 1)
    )
    db.session.execute(delete_rows(postings).where(postings.c.fact_check_id == fact_check_id))
    db.session.execute(delete_rows(documents).where(documents.c.fact_check_id == fact_check_id))
    _add_totals(-1, -length)


def add(indexed: Sequence[Indexed]) -> None:
    """Add fact-checks that are not in the index yet (one write or a generated batch)."""
    if not indexed:
        return
    counts: Counter[str] = Counter()
    for one in indexed:
        counts.update(one.frequencies.keys())
    if _dialect() == "postgresql":
        ids = _counted_terms(counts)
    else:
        ids = _term_ids(counts.keys())
        db.session.execute(
            update(terms_table)
            .where(terms_table.c.id == bindparam("term_id"))
            .values(documents=terms_table.c.documents + bindparam("added")),
            [{"term_id": ids[term], "added": n} for term, n in counts.items()],
            execution_options={"synchronize_session": False},
        )
    rows = (
        (ids[term], one.fact_check_id, frequency, one.length)
        for one in indexed
        for term, frequency in one.frequencies.items()
    )
    _insert_postings(rows)
    db.session.execute(
        insert_rows(documents),
        [{"fact_check_id": one.fact_check_id, "length": one.length} for one in indexed],
    )
    lengths = [one.length for one in indexed]
    _add_totals(len(indexed), sum(lengths), min(lengths))


def _insert_postings(rows: Iterable[tuple[int, int, int, int]]) -> None:
    """Straight to the driver: a generated batch holds a hundred thousand postings, and
    SQLAlchemy's per-row parameter handling would take most of the time (COPY on PostgreSQL)."""
    cursor = db.session.connection().connection.cursor()
    columns = "search_postings (term_id, fact_check_id, frequency, length)"
    if _dialect() == "postgresql":
        with cursor.copy(f"COPY {columns} FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    # In slices, so a batch never holds all its postings at once.
    while chunk := list(islice(rows, 50_000)):
        cursor.executemany(f"INSERT INTO {columns} VALUES (?, ?, ?, ?)", chunk)


def _counted_terms(counts: Counter[str]) -> dict[str, int]:
    """PostgreSQL: each term created or its document count raised, and its id, in one statement
    a chunk instead of a lookup, an insert of the missing, a second lookup and an update (a
    write's round trips, under the feed's lock). Sorted, so writers lock term rows in one order."""
    ids: dict[str, int] = {}
    for chunk in _chunks(sorted(counts)):
        rows = postgres_insert(terms_table).values(
            [{"term": term, "documents": counts[term]} for term in chunk]
        )
        upsert = rows.on_conflict_do_update(
            index_elements=["term"],
            set_={"documents": terms_table.c.documents + rows.excluded.documents},
        ).returning(terms_table.c.term, terms_table.c.id)
        ids.update({term: term_id for term, term_id in db.session.execute(upsert)})
    return ids


def _term_ids(wanted: Iterable[str]) -> dict[str, int]:
    """Ids of these terms, the missing ones created (a concurrent writer may create one too)."""
    wanted = list(wanted)
    ids = _lookup(wanted)
    missing = [term for term in wanted if term not in ids]
    if missing:
        make = postgres_insert if _dialect() == "postgresql" else sqlite_insert
        for chunk in _chunks(missing):
            statement = make(terms_table).on_conflict_do_nothing(index_elements=["term"])
            db.session.execute(statement, [{"term": term, "documents": 0} for term in chunk])
        ids.update(_lookup(missing))
    return ids


def _lookup(wanted: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in _chunks(wanted):
        rows = db.session.execute(
            select(terms_table.c.term, terms_table.c.id).where(terms_table.c.term.in_(chunk))
        )
        found.update({term: term_id for term, term_id in rows})
    return found


def _chunks(items: list[str], size: int = 2000) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _add_totals(count: int, length: int, shortest: int | None = None) -> None:
    values: dict[str, Any] = {
        "documents": totals.c.documents + count,
        "length": totals.c.length + length,
    }
    if shortest is not None:
        values["shortest"] = case(
            (totals.c.shortest > shortest, literal(shortest)), else_=totals.c.shortest
        )
    changed = db.session.execute(update(totals).where(totals.c.id == 1).values(**values))
    if not getattr(changed, "rowcount", 0):
        first = {"id": 1, "documents": count, "length": length, "shortest": shortest or 0}
        db.session.execute(insert_rows(totals).values(**first))


def fact_checks(ids: Sequence[int]) -> list[FactCheck]:
    """These fact-checks in this order, loaded for rendering (never the article's full text)."""
    found = db.session.scalars(
        select(FactCheck).options(*_rendering()).where(FactCheck.id.in_(list(ids)))
    ).unique()
    by_id = {check.id: check for check in found}
    return [by_id[i] for i in ids if i in by_id]


def newest(conditions: Sequence[ColumnElement[bool]], offset: int, limit: int) -> list[FactCheck]:
    """Published fact-checks meeting `conditions`, the latest published first (no query text)."""
    statement = (
        select(FactCheck)
        .options(*_rendering())
        .where(FactCheck.status == PUBLISHED, *conditions)
        .order_by(FactCheck.date_published.desc(), FactCheck.id.desc())
    )
    return list(db.session.scalars(statement.offset(offset).limit(limit)).unique())


def _rendering() -> tuple[Any, ...]:
    # store.rendering_only's options; store imports this module, so they are written again here.
    return (joinedload(FactCheck.article).defer(Article.text),)


def _dialect() -> str:
    return db.session.get_bind().dialect.name
