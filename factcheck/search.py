"""Full-text search: a user's query parsed once, then built for the database in use.

SQLite searches the FTS5 table `fact_check_search` (porter stemming), PostgreSQL the generated
`fact_checks.search_vector` (english configuration); migration 0003 creates and maintains both.
Queries are rebuilt from plain word tokens, so no user text reaches either engine's query syntax.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Subquery,
    column,
    func,
    literal,
    literal_column,
    select,
    table,
)

from .models import FactCheck

WORD = re.compile(r"\w+")
# A "quoted phrase" or a bare word, either of them negated by a leading minus.
TERM = re.compile(r'(-?)"([^"]*)"?|(-?)(\S+)')
MAX_TERMS = 32
# PostgreSQL's english configuration drops its stop words (the Snowball list, below); FTS5 has
# no such list, so they are dropped here for both engines alike, and results agree.
STOP_WORDS = frozenset(
    """i me my myself we our ours ourselves you your yours yourself yourselves he him his himself
    she her hers herself it its itself they them their theirs themselves what which who whom this
    that these those am is are was were be been being have has had having do does did doing a an
    the and but if or because as until while of at by for with about against between into through
    during before after above below to from up down in out on off over under again further then
    once here there when where why how all any both each few more most other some such no nor not
    only own same so than too very s t can will just don should now""".split()
)
# Column weights, in the FTS5 column order: claim, quote, claimant, explanation, body, headline.
# PostgreSQL gets the same order through setweight A/B/B/C/D/C in the migration.
SQLITE_WEIGHTS = (10.0, 4.0, 4.0, 2.0, 1.0, 2.0)
MAX_RANKED = 500

Phrase = tuple[str, ...]


@dataclass(frozen=True)
class Query:
    """Phrases (a single word is a phrase of one) that must appear, or of which any may."""

    required: tuple[Phrase, ...] = ()
    excluded: tuple[Phrase, ...] = ()
    any_of: bool = False

    def __bool__(self) -> bool:
        return bool(self.required)


def parse(text: str) -> Query:
    """Words are all required; "quoted words" must appear together; -word must not appear."""
    required: list[Phrase] = []
    excluded: list[Phrase] = []
    for match in TERM.finditer(text):
        negated = bool(match[1] or match[3])
        words = _words(match[2] if match[2] is not None else match[4])
        if not words:
            continue
        (excluded if negated else required).append(words)
    return Query(tuple(required[:MAX_TERMS]), tuple(excluded[:MAX_TERMS]))


def any_word(text: str) -> Query:
    """Every word of a sentence, any of which may match: the candidates for similarity."""
    words = dict.fromkeys(_words(text))
    return Query(tuple((word,) for word in list(words)[:MAX_TERMS]), any_of=True)


def _words(text: str) -> Phrase:
    return tuple(w for w in (m.lower() for m in WORD.findall(text)) if w not in STOP_WORDS)


def ranked(
    query: Query, dialect: str, conditions: Sequence[ColumnElement[bool]], cap: int = MAX_RANKED
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
        text = literal(_websearch(query), literal_execute=True)
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
        .where(whole.op("MATCH")(_fts5(query)), *conditions)
        .order_by(index.c.rowid.desc())
        .limit(cap)
        .subquery("ranked")
    )


def _fts5(query: Query) -> str:
    joiner = " OR " if query.any_of else " AND "
    expression = "(" + joiner.join(_quoted(phrase) for phrase in query.required) + ")"
    for phrase in query.excluded:
        expression += " NOT " + _quoted(phrase)
    return expression


def _quoted(phrase: Phrase) -> str:
    # Tokens are \w+ only, so they hold no double quote to escape.
    return '"' + " ".join(phrase) + '"'


def _websearch(query: Query) -> str:
    joiner = " or " if query.any_of else " "
    terms = [_quoted(phrase) if len(phrase) > 1 else phrase[0] for phrase in query.required]
    text = joiner.join(terms)
    for phrase in query.excluded:
        text += " -" + (_quoted(phrase) if len(phrase) > 1 else phrase[0])
    return text
