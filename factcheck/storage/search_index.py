"""The full-text index: ranked search of published fact-checks on SQLite FTS5 or PostgreSQL.

SQLite searches the FTS5 table `fact_check_search` (porter stemming), PostgreSQL the generated
`fact_checks.search_vector` (english configuration); migration 0003 creates and maintains both.
The query arrives already written in each engine's syntax by core/search.py, built from plain word
tokens, so no user text reaches either engine's query parser unescaped.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Subquery,
    column,
    func,
    literal,
    literal_column,
    or_,
    select,
    table,
)

from factcheck.storage import store
from factcheck.storage.db import db
from factcheck.storage.models import PUBLISHED, FactCheck

# Column weights, in the FTS5 column order: claim, quote, claimant, explanation, body, headline.
# PostgreSQL gets the same order through setweight A/B/B/C/D/C in the migration.
SQLITE_WEIGHTS = (10.0, 4.0, 4.0, 2.0, 1.0, 2.0)
MAX_RANKED = 500


@dataclass(frozen=True)
class Match:
    """One query in both engines' syntax: an FTS5 MATCH expression and websearch_to_tsquery text."""

    fts5: str
    websearch: str


def ranked(
    match: Match, dialect: str, conditions: Sequence[ColumnElement[bool]], cap: int = MAX_RANKED
) -> Subquery:
    """(id, score) of the newest `cap` fact-checks that match and meet `conditions`; higher
    scores are better matches.

    Ranking every match costs time in proportion to the matches, and a common word matches
    most of a large collection; ranking only the newest `cap` of them bounds that cost. Up to
    `cap` matches, the ranking is exact.
    """
    if dialect == "postgresql":
        vector: ColumnElement[Any] = literal_column("fact_checks.search_vector")
        # The query text goes inline (escaped by SQLAlchemy): as a bound parameter, psycopg's
        # prepared statements let PostgreSQL switch to a generic plan that cannot know how common
        # the words are, which measured 4x slower at 100,000 rows (docs/performance.md).
        text = literal(match.websearch, literal_execute=True)
        tsquery = func.websearch_to_tsquery(literal_column("'english'::regconfig"), text)
        newest = (
            select(FactCheck.id, vector.label("vector"))
            .where(vector.op("@@")(tsquery), *conditions)
            .order_by(FactCheck.id.desc())
            .limit(cap)
            .subquery()
        )
        score = func.ts_rank(newest.c.vector, tsquery)
        return select(newest.c.id, score.label("score")).subquery("ranked")
    index = table("fact_check_search", column("rowid"))
    whole: ColumnElement[Any] = literal_column("fact_check_search")
    return (
        select(FactCheck.id, (-func.bm25(whole, *SQLITE_WEIGHTS)).label("score"))
        .join(index, index.c.rowid == FactCheck.id)
        .where(whole.op("MATCH")(match.fts5), *conditions)
        .order_by(index.c.rowid.desc())
        .limit(cap)
        .subquery("ranked")
    )


def search_published(
    match: Match | None,
    offset: int,
    limit: int,
    *,
    language: str | None = None,
    organization_ids: Sequence[int] | None = None,
    published_since: datetime | None = None,
    claimed_since: date | None = None,
) -> Sequence[FactCheck]:
    """Published fact-checks matching `match` (best first), else the newest first."""
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
    statement = select(FactCheck).options(*store.rendering_only())
    if match is not None:
        best = ranked(match, store.dialect(), conditions)
        statement = statement.join(best, best.c.id == FactCheck.id).order_by(
            best.c.score.desc(), FactCheck.id.desc()
        )
    else:
        statement = statement.where(*conditions).order_by(
            FactCheck.date_published.desc(), FactCheck.id.desc()
        )
    return db.session.scalars(statement.offset(offset).limit(limit)).unique().all()
