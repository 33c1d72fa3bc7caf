"""The search index of published fact-checks, and its exact BM25 ranking, alike on both engines.

Tables (migration 0007): `search_terms` (each term and how many indexed fact-checks hold it),
`search_postings` (term, fact-check, weighted term frequency, the fact-check's weighted length),
`search_documents` (each indexed fact-check's length) and `search_totals` (their number and
summed length). Only published fact-checks are in it, so drafts and retracted fact-checks are
neither found nor counted in any statistic.

The index is changed in the write's own transaction: `refresh` is called by
records.record_feed_change, which every change of a public fact-check goes through.

Ranking is BM25 (k1 1.2, b 0.75) over every match: each posting's share is computed in the
database in one double-precision expression, truncated to an integer (SCALE), and the shares
summed as integers, so SQLite and PostgreSQL give the same scores and order. Ties go to the
fact-check created later (the higher id).
"""

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    Integer,
    String,
    Table,
    bindparam,
    case,
    cast,
    func,
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
    Column("term_id", Integer, primary_key=True),
    Column("fact_check_id", Integer, primary_key=True, index=True),
    Column("frequency", Integer, nullable=False),
    # The fact-check's length, copied here so that ranking reads one index range per term.
    Column("length", Integer, nullable=False),
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


def refresh(fact_check_id: int) -> None:
    """In the caller's transaction: the fact-check's current text if it is published; nothing
    of it otherwise (a draft, retracted, deleted)."""
    remove(fact_check_id)
    check = db.session.get(FactCheck, fact_check_id)
    if check is not None and check.status == PUBLISHED:
        add([analyse(check, check.article.headline)])


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
    ids = _term_ids(counts.keys())
    db.session.execute(
        update(terms_table)
        .where(terms_table.c.id == bindparam("term_id"))
        .values(documents=terms_table.c.documents + bindparam("added")),
        [{"term_id": ids[term], "added": n} for term, n in counts.items()],
        execution_options={"synchronize_session": False},
    )
    rows = [
        {
            "term_id": ids[term],
            "fact_check_id": one.fact_check_id,
            "frequency": frequency,
            "length": one.length,
        }
        for one in indexed
        for term, frequency in one.frequencies.items()
    ]
    db.session.execute(insert_rows(postings), rows)
    db.session.execute(
        insert_rows(documents),
        [{"fact_check_id": one.fact_check_id, "length": one.length} for one in indexed],
    )
    _add_totals(len(indexed), sum(one.length for one in indexed))


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


def _add_totals(count: int, length: int) -> None:
    changed = db.session.execute(
        update(totals)
        .where(totals.c.id == 1)
        .values(documents=totals.c.documents + count, length=totals.c.length + length)
    )
    if not getattr(changed, "rowcount", 0):
        db.session.execute(insert_rows(totals).values(id=1, documents=count, length=length))


# --- ranking ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Terms:
    """A query as terms: `scored` must all appear (or any, with `any_of`) and are ranked on;
    `pairs` must appear too (quoted phrases); no group of `excluded` may appear whole."""

    scored: tuple[str, ...]
    pairs: tuple[str, ...] = ()
    excluded: tuple[tuple[str, ...], ...] = ()
    any_of: bool = False


@dataclass(frozen=True)
class Statistics:
    documents: int
    length: int
    frequencies: dict[str, tuple[int, int]]  # term -> (term id, documents holding it)

    def idf(self, term: str) -> float:
        held = self.frequencies[term][1]
        return math.log(1 + (self.documents - held + 0.5) / (held + 0.5))

    def constants(self) -> tuple[float, float]:
        """(c2, c3) of a posting's share tf * c1 / (tf + c2 + length * c3)."""
        average = self.length / self.documents if self.documents else 1.0
        return K1 * (1 - B), K1 * B / average


def share(frequency: int, length: int, c1: float, c2: float, c3: float) -> int:
    """One posting's share of a score, as the database computes it (the same double
    operations in the same order), truncated to an integer."""
    return int(frequency * c1 / (frequency + c2 + length * c3))


def weight(statistics: Statistics, term: str) -> float:
    """c1 of a term: its idf times (k1 + 1), scaled."""
    return statistics.idf(term) * (K1 + 1) * SCALE


def statistics(wanted: Iterable[str]) -> Statistics:
    row = db.session.execute(select(totals.c.documents, totals.c.length)).first()
    count, length = (int(row[0]), int(row[1])) if row else (0, 0)
    rows = db.session.execute(
        select(terms_table.c.term, terms_table.c.id, terms_table.c.documents).where(
            terms_table.c.term.in_(list(wanted)), terms_table.c.documents > 0
        )
    )
    return Statistics(count, length, {term: (i, n) for term, i, n in rows})


def ranked(
    query: Terms, conditions: Sequence[ColumnElement[bool]], offset: int, limit: int
) -> list[tuple[int, int]]:
    """(fact-check id, score) of the matches from `offset`, best first: every match is scored."""
    scored = list(dict.fromkeys(query.scored))
    stats = statistics([*scored, *query.pairs, *(t for group in query.excluded for t in group)])
    known = [term for term in scored if term in stats.frequencies]
    if not known or (not query.any_of and len(known) < len(scored)):
        return []
    if any(pair not in stats.frequencies for pair in query.pairs):
        return []
    c2, c3 = stats.constants()
    term_id = postings.c.term_id
    c1 = case({stats.frequencies[t][0]: literal(weight(stats, t)) for t in known}, value=term_id)
    part = (
        postings.c.frequency
        * c1
        / (postings.c.frequency + literal(c2) + postings.c.length * literal(c3))
    )
    score = func.sum(_truncate(part)).label("score")
    fact_check_id = postings.c.fact_check_id
    statement = select(fact_check_id, score).where(
        term_id.in_([stats.frequencies[t][0] for t in known])
    )
    for pair in query.pairs:
        statement = statement.where(fact_check_id.in_(_holding([stats.frequencies[pair][0]])))
    for group in query.excluded:
        if all(term in stats.frequencies for term in group):
            ids = [stats.frequencies[term][0] for term in dict.fromkeys(group)]
            statement = statement.where(fact_check_id.not_in(_holding(ids)))
    if conditions:
        statement = statement.where(fact_check_id.in_(select(FactCheck.id).where(*conditions)))
    statement = statement.group_by(fact_check_id)
    if not query.any_of and len(known) > 1:
        statement = statement.having(func.count() == len(known))
    statement = statement.order_by(score.desc(), fact_check_id.desc())
    rows = db.session.execute(statement.offset(offset).limit(limit))
    return [(int(i), int(s)) for i, s in rows]


def _holding(term_ids: list[int]) -> Any:
    """Fact-checks holding every one of these terms."""
    statement = select(postings.c.fact_check_id).where(postings.c.term_id.in_(term_ids))
    if len(term_ids) > 1:
        statement = statement.group_by(postings.c.fact_check_id).having(
            func.count() == len(term_ids)
        )
    return statement


def _truncate(value: ColumnElement[Any]) -> ColumnElement[Any]:
    # SQLite's CAST to INTEGER truncates; PostgreSQL's rounds, so it truncates first.
    if _dialect() == "postgresql":
        return cast(func.trunc(value), BigInteger)
    return cast(value, Integer)


def _dialect() -> str:
    return db.session.get_bind().dialect.name


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
