"""Exact BM25 ranking over search_index's tables, the same on SQLite and PostgreSQL.

BM25 (k1 1.2, b 0.75; search_index.K1, B): each posting's share of a score,
tf * c1 / (tf + c2 + length * c3), is computed by the database in double precision, truncated to
an integer (1e-9 of a point, search_index.SCALE), and the shares are summed as integers, so both
engines give the same scores and the same order, and `share` below reproduces them. Ties go to the
fact-check created later (the higher id).

The top k are exact without scoring every match when a bound allows it: a first pass scores the
fact-checks that hold the query's terms most often; the k-th score T found there is a floor. A
fact-check scoring at least T must owe at least T/n to one of its n terms, and a term's share
can only reach T/n from some frequency F up (taking the shortest length any indexed fact-check
ever had); so only postings from F up can lead to the top k, and those fact-checks are scored
exactly. When the bound prunes little, every match is scored.
"""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    case,
    cast,
    func,
    literal,
    select,
    union_all,
)

from factcheck.storage.db import db
from factcheck.storage.models import FactCheck
from factcheck.storage.search_index import K1, SCALE, B, postings, terms_table, totals

# Below this many postings for the query's terms, scoring them all is cheap enough.
SMALL = 4000
# The most postings the bound's first pass may read; past it (a deep page), score every match.
MAX_CANDIDATES = 20_000


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
    shortest: int
    frequencies: dict[str, tuple[int, int]]  # term -> (term id, documents holding it)

    def idf(self, term: str) -> float:
        held = self.frequencies[term][1]
        return math.log(1 + (self.documents - held + 0.5) / (held + 0.5))

    def constants(self) -> tuple[float, float]:
        """(c2, c3) of a posting's share tf * c1 / (tf + c2 + length * c3)."""
        average = self.length / self.documents if self.documents else 1.0
        return K1 * (1 - B), K1 * B / average

    def weight(self, term: str) -> float:
        """c1 of a term: its idf times (k1 + 1), scaled."""
        return self.idf(term) * (K1 + 1) * SCALE


def share(frequency: int, length: int, c1: float, c2: float, c3: float) -> int:
    """One posting's share of a score, as the database computes it (the same double
    operations in the same order), truncated to an integer."""
    return int(frequency * c1 / (frequency + c2 + length * c3))


def statistics(wanted: Iterable[str]) -> Statistics:
    row = db.session.execute(select(totals.c.documents, totals.c.length, totals.c.shortest)).first()
    count, length, shortest = (int(row[0]), int(row[1]), int(row[2])) if row else (0, 0, 0)
    rows = db.session.execute(
        select(terms_table.c.term, terms_table.c.id, terms_table.c.documents).where(
            terms_table.c.term.in_(list(wanted)), terms_table.c.documents > 0
        )
    )
    return Statistics(count, length, shortest, {term: (i, n) for term, i, n in rows})


def ranked(
    query: Terms, conditions: Sequence[ColumnElement[bool]], offset: int, limit: int
) -> list[tuple[int, int]]:
    """(fact-check id, score) of the matches from `offset`, best first: exactly as if every
    match were scored."""
    scored = list(dict.fromkeys(query.scored))
    stats = statistics([*scored, *query.pairs, *(t for group in query.excluded for t in group)])
    known = [term for term in scored if term in stats.frequencies]
    if not known or (not query.any_of and len(known) < len(scored)):
        return []
    if any(pair not in stats.frequencies for pair in query.pairs):
        return []
    ranking = _Ranking(query, stats, known, conditions)
    wanted = offset + limit
    if sum(stats.frequencies[t][1] for t in known) > SMALL:
        candidates = ranking.candidates(wanted)
        if candidates is not None:
            return ranking.scores(candidates, offset, limit)
    return ranking.scores(None, offset, limit)


class _Ranking:
    def __init__(
        self,
        query: Terms,
        stats: Statistics,
        known: list[str],
        conditions: Sequence[ColumnElement[bool]],
    ) -> None:
        self.query, self.stats, self.conditions = query, stats, conditions
        self.ids = {term: stats.frequencies[term][0] for term in known}
        self.weights = {stats.frequencies[term][0]: stats.weight(term) for term in known}

    def scores(self, among: list[int] | None, offset: int, limit: int) -> list[tuple[int, int]]:
        """Exact scores of the matches (among the fact-checks a query gives, if any), ordered."""
        c2, c3 = self.stats.constants()
        term_id, fact_check_id = postings.c.term_id, postings.c.fact_check_id
        c1 = case({i: literal(w) for i, w in self.weights.items()}, value=term_id)
        frequency, length = postings.c.frequency, postings.c.length
        part = frequency * c1 / (frequency + literal(c2) + length * literal(c3))
        score = func.sum(_truncate(part)).label("score")
        statement = select(fact_check_id, score).where(term_id.in_(list(self.weights)))
        if among is not None:
            statement = statement.where(fact_check_id.in_(among))
        for pair in self.query.pairs:
            statement = statement.where(fact_check_id.in_(_holding([self._id(pair)])))
        for group in self.query.excluded:
            if all(term in self.stats.frequencies for term in group):
                ids = [self._id(term) for term in dict.fromkeys(group)]
                statement = statement.where(fact_check_id.not_in(_holding(ids)))
        if self.conditions:
            matching = select(FactCheck.id).where(*self.conditions)
            statement = statement.where(fact_check_id.in_(matching))
        statement = statement.group_by(fact_check_id)
        if not self.query.any_of and len(self.weights) > 1:
            statement = statement.having(func.count() == len(self.weights))
        statement = statement.order_by(score.desc(), fact_check_id.desc())
        rows = db.session.execute(statement.offset(offset).limit(limit))
        return [(int(i), int(s)) for i, s in rows]

    def candidates(self, wanted: int) -> Any:
        """A query of every fact-check that can be among the best `wanted`, or None when the
        bound is not worth it (a page so deep that the first pass would read too much)."""
        first = max(64, 4 * wanted)
        floor: int | None = None
        for _ in range(3):
            if first * len(self.weights) > MAX_CANDIDATES:
                return None
            found = self.scores(self._most_frequent(first), 0, wanted)
            if len(found) >= wanted:
                floor = found[-1][1]
                break
            first *= 4
        if floor is None:
            return None
        c2, c3 = self.stats.constants()
        # One point less than T/n, against any rounding; it only lets more in.
        share_floor = floor / len(self.weights) - 1
        shortest = self.stats.shortest
        frequency, length = postings.c.frequency, postings.c.length
        parts = []
        for term_id, c1 in self.weights.items():
            if c1 <= share_floor:
                continue  # this term's share never reaches T/n
            # Postings from the least frequency whose share could reach T/n at the shortest
            # length (an index range), then each posting's own share (its length is in the key).
            least = max(0.0, share_floor) * (c2 + shortest * c3) / (c1 - max(0.0, share_floor))
            part = frequency * literal(c1) / (frequency + literal(c2) + length * literal(c3))
            parts.append(
                select(postings.c.fact_check_id).where(
                    postings.c.term_id == term_id,
                    frequency >= max(0, math.floor(least) - 1),
                    part >= literal(share_floor),
                )
            )
        if not parts:
            return None
        return union_all(*parts) if len(parts) > 1 else parts[0]

    def _most_frequent(self, count: int) -> Any:
        parts = [
            select(postings.c.fact_check_id)
            .where(postings.c.term_id == term_id)
            .order_by(postings.c.frequency.desc())
            .limit(count)
            .subquery()
            for term_id in self.weights
        ]
        # SQLite allows no LIMIT inside a compound select: each part is a subquery of its own.
        selects = [select(part.c.fact_check_id) for part in parts]
        return union_all(*selects) if len(selects) > 1 else selects[0]

    def _id(self, term: str) -> int:
        return self.stats.frequencies[term][0]


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
    if db.session.get_bind().dialect.name == "postgresql":
        return cast(func.trunc(value), BigInteger)
    return cast(value, Integer)
