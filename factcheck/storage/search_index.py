"""The search index of published fact-checks, and its exact BM25 ranking, alike on both engines.

Tables (migration 0007): `search_terms` (each term and how many indexed fact-checks hold it),
`search_postings` (term, fact-check, weighted term frequency, the fact-check's weighted length;
a pair of adjacent terms holds its two terms' frequencies instead, PAIR_BASE),
`search_documents` (each indexed fact-check's length) and `search_totals` (their number and
summed length). Only published fact-checks are in it, so drafts and retracted fact-checks are
neither found nor counted in any statistic.

The index is changed in the write's own transaction: `refresh` is called by
records.record_feed_change, which every change of a public fact-check goes through; it analyses
the text at once and writes it just before the COMMIT, under the feed's lock.

Ranking is in search_rank.py. K1, B, SCALE and WEIGHTS define it with the tables, here.
"""

import dataclasses
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
    case,
    literal,
    select,
    update,
)
from sqlalchemy import delete as delete_rows
from sqlalchemy import insert as insert_rows
from sqlalchemy import text as sql
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
# A pair (two adjacent terms, for quoted phrases) is required, never scored: its posting's
# frequency holds its two terms' frequencies instead, first * PAIR_BASE + second, so that a
# phrase's candidates are scored from the pair's postings without a look-up each. UNPACKED when
# they do not fit the column; no packing is under PAIR_BASE (a frequency is at least 1), so
# such a posting (or one written before migration 0015) has its terms looked up.
PAIR_BASE = 2**15
UNPACKED = 0

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
    # A ranking's look-ups by fact-check, one term at a time, within that term's range.
    Index(
        "ix_search_postings_term_fact_check",
        "term_id",
        "fact_check_id",
        unique=True,
        postgresql_include=["frequency", "length"],
    ),
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
    """One fact-check as the index holds it: weighted frequency per term (a pair: its terms',
    packed), weighted length."""

    fact_check_id: int
    frequencies: dict[str, int]
    length: int


def analyse(check: FactCheck, headline: str | None) -> Indexed:
    """The fact-check's terms, stemmed in its language."""
    return analyse_row(check.id, _row(check), headline)


def analyse_row(fact_check_id: int, row: dict[str, Any], headline: str | None) -> Indexed:
    """The same from a row's column values (a bulk insert has no objects); quoted phrases
    match adjacent pairs, which are indexed as terms of their own."""
    return _analysed(fact_check_id, row, headline, search_text.terms)


class Analyser:
    """analyse_row for many rows: each distinct word is stemmed and folded once per language.

    The same terms as search_text.terms (which stems and folds word by word); a generated load
    repeats a few hundred words a hundred million times, and stemming was most of its time."""

    def __init__(self) -> None:
        self._terms: dict[str, dict[str, str]] = {}

    def row(self, fact_check_id: int, row: dict[str, Any], headline: str | None) -> Indexed:
        return _analysed(fact_check_id, row, headline, self.terms)

    def terms(self, text: str | None, lang: str) -> list[str]:
        known = self._terms.setdefault(lang, {})
        found = []
        for word in search_text.words(text, lang):
            term = known.get(word)
            if term is None:
                # A word that folds to nothing is remembered as "" and left out, as stems does.
                term = known[word] = "".join(search_text.stems([word], lang))
            if term:
                found.append(term)
        return found


def _analysed(
    fact_check_id: int,
    row: dict[str, Any],
    headline: str | None,
    terms: Callable[[str | None, str], list[str]],
) -> Indexed:
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
    pairs: set[str] = set()
    length = 0
    for field, text in fields.items():
        found = terms(text, lang)
        weight = WEIGHTS[field]
        length += weight * len(found)
        for term in found:
            frequencies[term] += weight
        # Pairs do not cross fields, and do not count in the length.
        pairs.update(search_text.pairs(found))
    held = dict(frequencies)
    for pair in pairs:
        first, second = search_text.pair_terms(pair)
        held[pair] = pair_frequency(frequencies[first], frequencies[second])
    return Indexed(fact_check_id, held, length)


def pair_frequency(first: int, second: int) -> int:
    """What a pair's posting holds: its terms' frequencies, packed (PAIR_BASE)."""
    if first < 2 * PAIR_BASE and second < PAIR_BASE:
        return first * PAIR_BASE + second
    return UNPACKED


def pair_frequencies(packed: int) -> tuple[int, int] | None:
    """The terms' frequencies a pair's posting holds, if they were packed."""
    return None if packed < PAIR_BASE else divmod(packed, PAIR_BASE)


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


@dataclass
class Load:
    """A generated load's state across its batches: term ids already known (a term row is never
    deleted, so its id stays), and whether postings go to STAGED (see unkeyed_postings)."""

    staged: bool = False
    ids: dict[str, int] = dataclasses.field(default_factory=dict)


# SQLite: a large load's postings, unindexed, until keyed_postings sorts them into place.
STAGED = "search_postings_load"
POSTINGS_KEY = "search_postings_pkey"


def add(indexed: Sequence[Indexed], load: Load | None = None) -> None:
    """Add fact-checks that are not in the index yet (one write or a generated batch)."""
    if not indexed:
        return
    counts: Counter[str] = Counter()
    for one in indexed:
        counts.update(one.frequencies.keys())
    if _dialect() == "postgresql":
        ids = _counted_terms(counts)
    else:
        ids = _term_ids(counts.keys(), load.ids if load else None)
        # Straight to the driver: a generated batch changes tens of thousands of terms.
        cursor = db.session.connection().connection.cursor()
        cursor.executemany(
            "UPDATE search_terms SET documents = documents + ? WHERE id = ?",
            [(n, ids[term]) for term, n in counts.items()],
        )
    rows = (
        (ids[term], one.fact_check_id, frequency, one.length)
        for one in indexed
        for term, frequency in one.frequencies.items()
    )
    _insert_postings(rows, STAGED if load and load.staged and _dialect() == "sqlite" else None)
    _insert_documents([(one.fact_check_id, one.length) for one in indexed])
    lengths = [one.length for one in indexed]
    _add_totals(len(indexed), sum(lengths), min(lengths))


def _insert_postings(rows: Iterable[tuple[int, int, int, int]], table: str | None = None) -> None:
    """Straight to the driver: a generated batch holds a hundred thousand postings, and
    SQLAlchemy's per-row parameter handling would take most of the time (COPY on PostgreSQL)."""
    cursor = db.session.connection().connection.cursor()
    columns = f"{table or 'search_postings'} (term_id, fact_check_id, frequency, length)"
    if _dialect() == "postgresql":
        with cursor.copy(f"COPY {columns} FROM STDIN") as copy:
            # Lines formatted here: a hundred million write_row calls were a third of a load.
            while chunk := list(islice(rows, 50_000)):
                copy.write("".join(f"{t}\t{f}\t{q}\t{n}\n" for t, f, q, n in chunk))
        return
    # In slices, so a batch never holds all its postings at once.
    while chunk := list(islice(rows, 50_000)):
        cursor.executemany(f"INSERT INTO {columns} VALUES (?, ?, ?, ?)", chunk)


def _insert_documents(rows: list[tuple[int, int]]) -> None:
    cursor = db.session.connection().connection.cursor()
    if _dialect() == "postgresql":
        with cursor.copy("COPY search_documents (fact_check_id, length) FROM STDIN") as copy:
            copy.write("".join(f"{i}\t{n}\n" for i, n in rows))
        return
    cursor.executemany("INSERT INTO search_documents (fact_check_id, length) VALUES (?, ?)", rows)


def unkeyed_postings() -> Load:
    """Before a load larger than the index: postings without their key and indexes, so each is
    appended instead of put in its place in three B-trees (a hundred million random inserts);
    keyed_postings sorts them in once. SQLite cannot drop a WITHOUT ROWID table's key, so there
    they go to STAGED. Searches find none of the load's fact-checks until then."""
    if _dialect() == "postgresql":
        db.session.execute(sql(f"ALTER TABLE search_postings DROP CONSTRAINT {POSTINGS_KEY}"))
    else:
        db.session.execute(
            sql(
                f"CREATE TABLE {STAGED} (term_id INTEGER NOT NULL, fact_check_id INTEGER NOT NULL,"
                " frequency INTEGER NOT NULL, length INTEGER NOT NULL)"
            )
        )
    for index in postings.indexes:
        index.drop(db.session.connection())
    return Load(staged=True)


def keyed_postings() -> None:
    """After the load: the key and the indexes back, as migrations 0007 and 0014 made them (one
    sort each), and on SQLite the staged postings moved in, in key order (appended, not
    scattered)."""
    if _dialect() == "postgresql":
        # For this transaction only: the sorts run in memory instead of on disk.
        db.session.execute(sql("SET LOCAL maintenance_work_mem = '1GB'"))
        db.session.execute(
            sql(
                f"ALTER TABLE search_postings ADD CONSTRAINT {POSTINGS_KEY}"
                " PRIMARY KEY (term_id, frequency, length, fact_check_id)"
            )
        )
    else:
        db.session.execute(
            sql(
                "INSERT INTO search_postings (term_id, frequency, length, fact_check_id)"
                f" SELECT term_id, frequency, length, fact_check_id FROM {STAGED}"
                " ORDER BY term_id, frequency, length, fact_check_id"
            )
        )
        db.session.execute(sql(f"DROP TABLE {STAGED}"))
    # From the table's definition, which tests/test_generate.py holds to the migrations'.
    for index in postings.indexes:
        index.create(db.session.connection())


def _counted_terms(counts: Counter[str]) -> dict[str, int]:
    """PostgreSQL: each term created or its document count raised, and its id, in one statement
    instead of a lookup, an insert of the missing, a second lookup and an update (a write's
    round trips, under the feed's lock). Sorted, so writers lock term rows in one order. The
    terms go as two arrays: SQLAlchemy compiling a VALUES list of tens of thousands of terms
    was a quarter of a generated load's time."""
    ordered = sorted(counts)
    cursor = db.session.connection().connection.cursor()
    cursor.execute(
        "INSERT INTO search_terms (term, documents)"
        " SELECT term, n FROM unnest(%s::varchar[], %s::integer[]) WITH ORDINALITY AS t(term, n, o)"
        " ORDER BY o"
        " ON CONFLICT (term) DO UPDATE SET documents = search_terms.documents + excluded.documents"
        " RETURNING term, id",
        (ordered, [counts[term] for term in ordered]),
    )
    return dict(cursor.fetchall())


def _term_ids(wanted: Iterable[str], known: dict[str, int] | None = None) -> dict[str, int]:
    """Ids of these terms, the missing ones created (a concurrent writer may create one too);
    those in `known` are not looked up, and the others are added to it."""
    wanted = list(wanted)
    if known is None:
        known = {}
    ids = {term: known[term] for term in wanted if term in known}
    ids.update(_lookup([term for term in wanted if term not in ids]))
    missing = [term for term in wanted if term not in ids]
    if missing:
        make = postgres_insert if _dialect() == "postgresql" else sqlite_insert
        for chunk in _chunks(missing):
            statement = make(terms_table).on_conflict_do_nothing(index_elements=["term"])
            db.session.execute(statement, [{"term": term, "documents": 0} for term in chunk])
        ids.update(_lookup(missing))
    known.update(ids)
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
