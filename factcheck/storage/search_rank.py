"""Exact BM25 ranking over search_index's tables, the same on SQLite and PostgreSQL.

BM25 (k1 1.2, b 0.75; search_index.K1, B): each posting's share of a score,
tf * c1 / (tf + c2 + length * c3), is computed in double precision and truncated to an integer
(1e-9 of a point, search_index.SCALE); a score is the integer sum of its shares, so both engines
(and `share` below, the same operations in the same order) give the same scores and the same
order. Ties go to the fact-check created later (the higher id).

The top k are found without reading a common term's whole posting range (_TopK). A term's
postings are keyed (term, frequency, length, fact-check), and a share rises with the frequency
and falls with the length, so in each frequency group the best postings come first. The groups
are found by a skip-scan (one index seek each). Each term is then read down to a threshold θ (a
depth below its best share) as one short length range per group; a fact-check read in every
term's band is scored from the bands, one read in some only is looked up by key when its bound
(what it has, plus each missing term's θ) still reaches the k-th score. A fact-check read in no
band scores under the sum of the θs, so once the k-th exact score beats that sum the top k are
exact; until then the depths grow (each by how fast its band grows). When every term is
required, the terms are first read as regions instead (_TopK._intersect): each term to the same
depth D below its best share, intersected in the database, so that no look-up is needed while
the regions are small; the bands are for common words whose regions are all large. Phrases,
exclusions and filters are checked on the candidates, best first. A rare required term gives the
candidates by itself (a phrase's pair gives its two terms' shares with them); small queries, and
pages too deep for the budget, score every match in one statement.
"""

import bisect
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    any_,
    bindparam,
    case,
    cast,
    func,
    literal,
    select,
)
from sqlalchemy.dialects import postgresql

from factcheck.storage.db import db
from factcheck.storage.models import FactCheck
from factcheck.storage.search_index import (
    K1,
    SCALE,
    B,
    pair_frequencies,
    postings,
    terms_table,
    totals,
)
from factcheck.storage.search_text import pair_terms

# Below this many postings for the query's terms, scoring them all is cheap enough.
SMALL = 4000
# A required term held by at most this many fact-checks gives the candidates by itself.
DRIVER = 5000
# The most postings a band reads from one frequency group in its first round (x4 a round).
FIRST_CAP = 64
# Every term required: the first depth of the regions, as a share of the best shares' sum.
FIRST_DEPTH = 50
# How much deeper the regions go when the k-th is not reached (a region may grow a
# hundredfold in a step when it reaches a group's postings).
GROWTH = 1.5
# The most postings a region reads at first before its term is looked up by key instead.
REGION_CAP = 4096
# A region's postings stay in the database: this many cost about a row read here.
REGION_SHARE = 10
# What a look-up by key costs, in postings a region reads (about 4 on PostgreSQL, 3 on SQLite).
PROBE_COST = 4
# The most rows the top k may read (groups, bands, look-ups), and at most this share of the
# postings scoring every match reads (a row read here costs about ten there); past it (a deep
# page, a query with fewer matches than the page), every match is scored instead.
MAX_READ = 100_000
READ_SHARE = 10


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
    if sum(stats.frequencies[t][1] for t in known) > SMALL:
        found = _TopK(query, stats, known, conditions).page(offset, limit)
        if found is not None:
            return found
    return _Ranking(query, stats, known, conditions).scores(offset, limit)


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

    def scores(self, offset: int, limit: int) -> list[tuple[int, int]]:
        """Every match scored in one statement, ordered."""
        c2, c3 = self.stats.constants()
        term_id, fact_check_id = postings.c.term_id, postings.c.fact_check_id
        c1 = case({i: literal(w) for i, w in self.weights.items()}, value=term_id)
        frequency, length = postings.c.frequency, postings.c.length
        part = frequency * c1 / (frequency + literal(c2) + length * literal(c3))
        score = func.sum(_truncate(part)).label("score")
        statement = select(fact_check_id, score).where(term_id.in_(list(self.weights)))
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

    def _id(self, term: str) -> int:
        return self.stats.frequencies[term][0]


# The most bands in one SQLite compound select.
COMPOUND = 400
# The widest key values: a bound that every stored length and id is under.
_LAST = 2**31 - 1


@dataclass
class _Group:
    """One frequency group of a term's postings, and how far it has been read: every posting
    up to length `clear`, and in key order up to (`length`, `after`)."""

    frequency: int
    clear: int
    length: int
    after: int = _LAST
    done: bool = False


class _TopK:
    """The exact top k from the best postings of each term (the module's docstring)."""

    def __init__(
        self,
        query: Terms,
        stats: Statistics,
        known: list[str],
        conditions: Sequence[ColumnElement[bool]],
    ) -> None:
        self.query, self.stats, self.conditions = query, stats, conditions
        self.c2, self.c3 = stats.constants()
        self.weights = {stats.frequencies[term][0]: stats.weight(term) for term in known}
        self.pairs = [stats.frequencies[pair][0] for pair in query.pairs]
        # Each pair's two terms, whose frequencies its postings hold (search_index.PAIR_BASE),
        # when both are scored.
        self.pair_terms: dict[int, tuple[int, int]] = {}
        for pair in query.pairs:
            first, second = (stats.frequencies.get(t) for t in pair_terms(pair))
            if first and second and first[0] in self.weights and second[0] in self.weights:
                self.pair_terms[stats.frequencies[pair][0]] = (first[0], second[0])
        self.driver: int | None = None  # the term every candidate holds, if one drives
        self.excluded = [
            [stats.frequencies[term][0] for term in dict.fromkeys(group)]
            for group in query.excluded
            if all(term in stats.frequencies for term in group)
        ]
        self.groups: dict[int, list[_Group]] = {}
        # Each candidate's shares read so far (term id -> share), and the exact scores of those
        # whose every term is known.
        self.shares: dict[int, dict[int, int]] = {}
        self.exact: dict[int, int] = {}
        self.checked: set[int] = set()
        self.dropped: set[int] = set()  # looked up, and lacking a required term
        self.beaten: set[int] = set()  # partly read, and bound to score under the k-th
        self.lengths: dict[int, int] = {}  # each candidate's length (in all its postings)
        self.band_rows: dict[int, int] = {}  # postings read in each term's bands
        self.cut = False  # a band of the last round stopped at its cap
        self.matches: list[tuple[int, int]] = []  # (score, id) of exact ones that qualify
        self.read = 0  # postings and rows read: groups, bands, whole terms, look-ups
        every = [*self.weights, *self.pairs, *(t for group in self.excluded for t in group)]
        documents = dict(stats.frequencies.values())
        self.budget = min(MAX_READ, sum(documents[t] for t in set(every)) / READ_SHARE)
        self.statements = 0
        # Shares by (term, frequency, length): a term's postings take few distinct values.
        self.memo: dict[tuple[int, int, int], int] = {}

    def page(self, offset: int, limit: int) -> list[tuple[int, int]] | None:
        """(id, score) from `offset`, exact; None when the budget would be spent first."""
        wanted = offset + limit
        required = [] if self.query.any_of else [*self.weights, *self.pairs]
        documents = {i: n for i, n in self.stats.frequencies.values()}
        rarest = min(required, key=documents.__getitem__, default=None)
        if rarest is not None and len(required) > 1 and documents[rarest] <= DRIVER:
            # Every match holds the rarest required term: its postings are the candidates (a
            # term alone is cheaper by its bands).
            self.driver = rarest
            self._look_up(self._whole(rarest), list(self.weights))
            return self._best(offset, limit) if self._qualify(wanted) else None
        self.groups = self._groups(list(self.weights))
        best = {
            term: max(self._share(term, g.frequency, g.clear + 1) for g in groups)
            for term, groups in self.groups.items()
            if groups
        }
        if not self.query.any_of and len(best) > 1:
            exact = self._intersect(best, wanted)
            if exact is not None:
                return self._best(offset, limit) if exact else None
        # How far below its best share each term is read, and how fast its band grows with
        # that depth (rows ~ depth ** power, measured as it is read).
        depths = {term: self._first_gap(term, wanted) for term in best}
        powers = dict.fromkeys(best, 2.0)
        cap = max(FIRST_CAP, 2 * wanted)
        while True:
            if not self._qualify(wanted) or self.read > self.budget:
                return None
            floor = self._floor(wanted)
            unread = self._unread()
            if all(value == -math.inf for value in unread.values()) or (
                not self.query.any_of and -math.inf in unread.values()
            ):
                # Every posting of a term read: every match is a candidate.
                self._look_up([i for i in self.shares if i not in self.exact], list(self.weights))
                return self._best(offset, limit) if self._qualify(wanted) else None
            # Candidates partly read that could still pass the k-th (all of them until k are
            # scored): look them up.
            pending = self._pending(floor)
            if pending:
                self._look_up(pending, list(self.weights))
                continue
            if floor is not None and floor[0] > sum(max(0.0, u) for u in unread.values()):
                return self._best(offset, limit)  # nothing unread can pass the k-th
            grown = {term: depths[term] * 4 ** (1 / powers[term]) for term in best}
            if not self.band_rows or self.cut:
                # The first band (the k best groups' tops), or the rest of bands cut short.
                grown = depths
            if floor is not None:
                # Depths summing to what the k-th score lacks of the best shares' sum are
                # enough: whatever is unread after them scores less than the k-th.
                needed = sum(best.values()) - floor[0] + len(best)
                have, want = sum(depths.values()), sum(grown.values())
                if want > needed > have:
                    ratio = (needed - have) / (want - have)
                    grown = {t: depths[t] + (grown[t] - depths[t]) * ratio for t in best}
            before = dict(self.band_rows)
            read = self.read
            self._bands({term: best[term] - grown[term] for term in best}, cap)
            for term in best:
                rows, earlier = self.band_rows.get(term, 0), before.get(term, 0)
                if earlier and rows > earlier and grown[term] > depths[term]:
                    ratio = math.log(rows / earlier) / math.log(grown[term] / depths[term])
                    powers[term] = min(4.0, max(1.0, ratio))
            if self.read == read:
                # Nothing more to read at these depths (rounding): go deeper.
                grown = {term: 2 * grown[term] for term in best}
            depths = grown
            cap *= 4

    def _intersect(self, best: dict[int, int], wanted: int) -> bool | None:
        """Every term required: the top k from the fact-checks in every term's region at a depth D
        (its postings sharing at least its best share less D). One scoring at least the sum of the
        best shares less D has, in each term, at least that term's best share less D, so it is in
        every region: once the k-th qualifying score reaches that sum, the top k are exact. The
        regions are intersected in the database, only the fact-checks in all of them returned; a
        term whose region is far larger than the smallest one is looked up by key for those
        instead. False when the budget runs out first; None when every region is past the cap
        at the first depth (common words only: the thresholds read less)."""
        total = sum(best.values())
        depth = total / FIRST_DEPTH
        looked_up: set[int] = set()
        cap = REGION_CAP
        # A term read alone (the others looked up) is read on from where it was, by group.
        read_to: dict[tuple[int, int], int] = {}
        while True:
            read = [term for term in best if term not in looked_up]
            alone = len(read) == 1
            regions = {
                term: self._region(term, best[term] - depth, read_to if alone else {})
                for term in read
            }
            probed = sorted(looked_up)
            # A term read alone has no other region to be compared with: no cap.
            rows, counts = _intersection(regions, probed, None if alone else cap)
            self.statements += 1
            self.read += sum(counts.values()) // REGION_SHARE
            self.read += len(looked_up) * min(counts.values())
            terms = [*read, *probed]
            for fact_check_id, length, *frequencies in rows:
                self.lengths[fact_check_id] = length
                self.exact[fact_check_id] = sum(
                    self._share(term, frequency, length)
                    for term, frequency in zip(terms, frequencies, strict=True)
                )
            if not self._qualify(wanted) or self.read > self.budget:
                return False
            complete = {t: n for t, n in counts.items() if alone or n <= cap}
            if not complete:
                if cap == REGION_CAP:
                    return None
                cap *= PROBE_COST  # every region is past the cap: read on at the same depth
                continue
            smallest = max(min(complete.values()), wanted)
            # A look-up by key costs PROBE_COST region rows: a term whose region is larger than
            # that many rows for each fact-check of the smallest is looked up instead.
            larger = {t for t, n in counts.items() if n > PROBE_COST * smallest}
            if larger:
                looked_up |= larger
                read_to.clear()  # what was read was joined, not looked up: read it again
            if len(complete) < len(counts):
                # A region was cut at the cap: the same depth again, its term looked up (or,
                # not that much larger, read with a higher cap).
                cap = max(REGION_CAP, PROBE_COST * smallest)
                continue
            if alone:
                read_to.update(((read[0], f), until) for f, _, until in regions[read[0]])
            floor = self._floor(wanted)
            if depth >= total or (floor is not None and floor[0] >= total - depth):
                return True  # (at the sum's depth the regions are the terms: every match)
            # Deeper by GROWTH, or (with k exact scores) as deep as holds every one reaching
            # the k-th when that is less: a term looked up adds no share to what was found.
            depth = min(GROWTH * depth, total if floor is None else total - floor[0])
            # Regions grow with the depth, the smallest too.
            cap = max(REGION_CAP, 2 * PROBE_COST * smallest)

    def _region(
        self, term_id: int, threshold: float, read_to: dict[tuple[int, int], int]
    ) -> list[tuple[int, int, int]]:
        """(frequency, length after which, greatest length) of the term's postings sharing at
        least `threshold`, past what `read_to` says was read of each group."""
        found = []
        for group in self.groups[term_id]:
            after = read_to.get((term_id, group.frequency), group.clear)
            until = self._length_within(term_id, group.frequency, threshold)
            if until > after:
                found.append((group.frequency, after, until))
        return found

    def _share(self, term_id: int, frequency: int, length: int) -> int:
        key = (term_id, frequency, length)
        found = self.memo.get(key)
        if found is None:
            found = share(frequency, length, self.weights[term_id], self.c2, self.c3)
            self.memo[key] = found
        return found

    def _first_gap(self, term_id: int, wanted: int) -> float:
        """How far below its best share a term is read first: down to the k-th best group's
        best posting, so at least k postings (one a group) come in."""
        tops = [self._share(term_id, g.frequency, g.clear + 1) for g in self.groups[term_id]]
        tops.sort(reverse=True)
        return max(tops[0] - tops[min(wanted, len(tops)) - 1], tops[0] / 1000)

    def _unread(self) -> dict[int, float]:
        """Per term, the most a posting not read yet can share (-inf: every one was read)."""
        found: dict[int, float] = {}
        for term, groups in self.groups.items():
            shares = [self._share(term, g.frequency, g.clear + 1) for g in groups if not g.done]
            found[term] = max(shares, default=-math.inf)
        return found

    def _pending(self, floor: tuple[int, int] | None) -> list[int]:
        """Candidates not scored yet whose missing terms could lift them to the k-th score (all
        of them until k are scored)."""
        partial = [i for i in self.shares if i not in self.exact and i not in self.beaten]
        if floor is None:
            return partial
        stairs = {term: self._stairs(term) for term in self.weights}
        # What each term may still add at a length, once per length.
        unread: dict[tuple[int, int], float] = {}
        found = []
        for fact_check_id in partial:
            held = self.shares[fact_check_id]
            length = self.lengths[fact_check_id]
            bound = float(sum(held.values()))
            for term in self.weights:
                if term not in held:
                    most = unread.get((term, length))
                    if most is None:
                        most = max(0.0, self._unread_at(term, stairs[term], length))
                        unread[term, length] = most
                    bound += most
            # Ties go to the higher id: one that would tie the k-th from below cannot pass it.
            if (bound, fact_check_id) > floor:
                found.append(fact_check_id)
            else:
                # A bound only falls as more is read and the k-th only rises: out for good.
                self.beaten.add(fact_check_id)
        return found

    def _stairs(self, term_id: int) -> tuple[list[int], list[int]]:
        """The groups a posting of each length may still be unread in, for _unread_at: by
        frequency from the top, each one read less far than every more frequent one."""
        negated_clears: list[int] = []
        frequencies: list[int] = []
        for group in sorted(self.groups[term_id], key=lambda g: -g.frequency):
            if not group.done and (not negated_clears or -group.clear > negated_clears[-1]):
                negated_clears.append(-group.clear)
                frequencies.append(group.frequency)
        return negated_clears, frequencies

    def _unread_at(self, term_id: int, stairs: tuple[list[int], list[int]], length: int) -> float:
        """The most an unread posting of the term can share in a fact-check of this length (a
        fact-check's postings all carry its length): the most frequent group not read that far."""
        negated_clears, frequencies = stairs
        at = bisect.bisect_right(negated_clears, -length)
        if at == len(frequencies):
            return -math.inf
        return self._share(term_id, frequencies[at], length)

    def _floor(self, wanted: int) -> tuple[int, int] | None:
        """The k-th best (score, id) that qualifies, if k do."""
        if len(self.matches) < wanted:
            return None
        self.matches.sort(reverse=True)
        return self.matches[wanted - 1]

    def _best(self, offset: int, limit: int) -> list[tuple[int, int]]:
        self.matches.sort(reverse=True)
        return [(i, score) for score, i in self.matches[offset : offset + limit]]

    def _groups(self, term_ids: list[int]) -> dict[int, list[_Group]]:
        """Each term's frequency groups and their shortest lengths: a skip-scan, one index seek
        a group, never a term's whole range; one statement for every term."""
        found: dict[int, list[_Group]] = {term: [] for term in term_ids}
        for term, frequency, shortest in _skip_scan(term_ids):
            found[term].append(_Group(frequency, shortest - 1, shortest - 1))
            self.read += 2
        self.statements += 1
        return found

    def _length_within(self, term_id: int, frequency: int, threshold: float) -> int:
        """The greatest length at which a posting of this frequency still shares `threshold`."""
        if threshold <= 0:
            return _LAST
        c1 = self.weights[term_id]
        estimate = (frequency * c1 / threshold - frequency - self.c2) / self.c3
        length = int(max(-1.0, min(float(_LAST), math.floor(estimate))))
        # The estimate is within a step of the answer; `share` decides it exactly.
        while length < _LAST and self._share(term_id, frequency, length + 1) >= threshold:
            length += 1
        while length >= 0 and self._share(term_id, frequency, length) < threshold:
            length -= 1
        return length

    def _bands(self, thresholds: dict[int, float], cap: int) -> None:
        """Read each group down to its term's threshold (at most `cap` postings a group)."""
        wanted: list[tuple[int, _Group, int]] = []
        for term, threshold in thresholds.items():
            for group in self.groups[term]:
                if group.done:
                    continue
                until = self._length_within(term, group.frequency, threshold)
                if until > group.clear:
                    wanted.append((term, group, until))
        self.cut = False
        if not wanted:
            return
        bands = [(t, g.frequency, g.length, g.after, until) for t, g, until in wanted]
        rows = _read_bands(bands, cap)
        self.statements += 1
        self.read += len(rows)
        # Each band's rows come in key order: its last one, and how many.
        last: dict[tuple[int, int], tuple[int, int]] = {}
        counts: dict[tuple[int, int], int] = {}
        all_required = not self.query.any_of
        for term, frequency, length, fact_check_id in rows:
            band = (term, frequency)
            counts[band] = counts.get(band, 0) + 1
            last[band] = (length, fact_check_id)
            self.lengths[fact_check_id] = length
            if fact_check_id in self.dropped:
                continue
            held = self.shares.setdefault(fact_check_id, {})
            held[term] = self._share(term, frequency, length)
            if all_required and len(held) == len(self.weights):
                self.exact[fact_check_id] = sum(held.values())
        for (term, _), n in counts.items():
            self.band_rows[term] = self.band_rows.get(term, 0) + n
        self.cut = False
        for term, group, until in wanted:
            found = last.get((term, group.frequency))
            if found is not None and counts[term, group.frequency] >= cap:
                self.cut = True
                # Cut short: the rest of the band is read next round, from this posting on.
                group.length, group.after = found[0], found[1]
                group.clear = found[0] - 1
            else:
                group.clear = group.length = until
                group.after = _LAST
                group.done = until >= _LAST
        if self.query.any_of:
            # A term not read may still be held: score each new candidate by look-ups.
            self._look_up([i for i in self.shares if i not in self.exact], list(self.weights))

    def _whole(self, term_id: int) -> list[int]:
        """The fact-checks holding the term; a pair's postings give its terms' shares too, so
        that a phrase's candidates are looked up only for its other terms."""
        rows = _driver_rows(
            "SELECT fact_check_id, frequency, length FROM search_postings"
            f" WHERE term_id = {int(term_id)}",
            [],
        )
        self.statements += 1
        self.read += len(rows)
        if term_id in self.pair_terms:
            first, second = self.pair_terms[term_id]
            for fact_check_id, frequency, length in rows:
                unpacked = pair_frequencies(frequency)
                if unpacked is not None:
                    self.lengths[fact_check_id] = length
                    self.shares[fact_check_id] = {
                        first: self._share(first, unpacked[0], length),
                        second: self._share(second, unpacked[1], length),
                    }
        return [fact_check_id for fact_check_id, _, _ in rows]

    def _look_up(self, fact_check_ids: list[int], term_ids: list[int]) -> None:
        """These candidates' postings of these terms, by key: each is then scored exactly (or
        dropped, lacking a required term)."""
        if not fact_check_ids:
            return
        documents = dict(self.stats.frequencies.values())
        remaining = fact_check_ids
        # One term at a time, the rarest first: each id seeks only the terms it lacks, and (all
        # terms required) none after one it does not hold.
        for term in sorted(term_ids, key=documents.__getitem__):
            lacking = [i for i in remaining if term not in self.shares.get(i, ())]
            if not lacking:
                continue
            rows = _postings_of(lacking, [term])
            self.statements += 1
            self.read += len(rows)
            holding = set()
            for fact_check_id, term_id, frequency, length in rows:
                self.lengths[fact_check_id] = length
                self.shares.setdefault(fact_check_id, {})[term_id] = self._share(
                    term_id, frequency, length
                )
                holding.add(fact_check_id)
            if not self.query.any_of:
                remaining = [i for i in remaining if i in holding or term in self.shares.get(i, ())]
        for fact_check_id in fact_check_ids:
            held = self.shares.get(fact_check_id, {})
            if held and (self.query.any_of or len(held) == len(self.weights)):
                self.exact[fact_check_id] = sum(held.values())
            else:
                self.shares.pop(fact_check_id, None)
                self.dropped.add(fact_check_id)

    def _qualify(self, wanted: int) -> bool:
        """Check phrases, exclusions and filters on the exact candidates, best first, until
        `wanted` qualify and no unchecked one could pass the k-th; False if the budget ran out
        first."""
        batch = max(64, 2 * wanted)
        while True:
            if self.read > self.budget:
                return False
            floor = self._floor(wanted)
            unchecked = [
                (score, i)
                for i, score in self.exact.items()
                if i not in self.checked and (floor is None or (score, i) > floor)
            ]
            if not unchecked:
                return True
            unchecked.sort(reverse=True)
            ids = [i for _, i in unchecked[:batch]]
            self.checked.update(ids)
            passed = self._passing(ids)
            self.matches += [(self.exact[i], i) for i in ids if i in passed]
            batch *= 4

    def _passing(self, ids: list[int]) -> set[int]:
        # The driving term is held by every candidate.
        pairs = [pair for pair in self.pairs if pair != self.driver]
        terms = [*pairs, *(t for group in self.excluded for t in group)]
        passed = set(ids)
        if terms:
            held: dict[int, set[int]] = {}
            statement = select(postings.c.fact_check_id, postings.c.term_id).where(
                _among(postings.c.fact_check_id, ids), postings.c.term_id.in_(set(terms))
            )
            for fact_check_id, term_id in db.session.execute(statement):
                held.setdefault(fact_check_id, set()).add(term_id)
                self.read += 1
            self.statements += 1
            for i in ids:
                found = held.get(i, set())
                if any(p not in found for p in pairs) or any(
                    all(t in found for t in group) for group in self.excluded
                ):
                    passed.discard(i)
        if passed and self.conditions:
            kept = select(FactCheck.id).where(_among(FactCheck.id, list(passed)), *self.conditions)
            passed = set(db.session.scalars(kept))
            self.statements += 1
            self.read += len(ids)
        return passed


# Each term's distinct frequencies from the top, one seek each (the greatest below the last),
# and the shortest length of each (the first of its key range).
_SKIP_SCAN = """
    WITH RECURSIVE grouped(term, frequency) AS (
        SELECT term, (SELECT max(frequency) FROM search_postings WHERE term_id = term)
        FROM ({terms}) AS wanted
        UNION ALL
        SELECT term, (
            SELECT max(p.frequency) FROM search_postings p
            WHERE p.term_id = grouped.term AND p.frequency < grouped.frequency
        )
        FROM grouped WHERE grouped.frequency IS NOT NULL
    )
    SELECT term, frequency, (
        SELECT min(p.length) FROM search_postings p
        WHERE p.term_id = grouped.term AND p.frequency = grouped.frequency
    )
    FROM grouped WHERE grouped.frequency IS NOT NULL
"""


def _skip_scan(term_ids: list[int]) -> list[tuple[int, int, int]]:
    """(term, frequency, shortest length) of each frequency group of these terms."""
    if _dialect() == "postgresql":
        return _driver_rows(_SKIP_SCAN.format(terms="SELECT unnest(%s::int[]) AS term"), [term_ids])
    return _driver_rows(
        _SKIP_SCAN.format(terms="SELECT value AS term FROM json_each(?)"), [json.dumps(term_ids)]
    )


def _read_bands(
    bands: list[tuple[int, int, int, int, int]], cap: int
) -> list[tuple[int, int, int, int]]:
    """(term, frequency, length, fact-check id) of each band: the postings of (term, frequency)
    after (length, id), up to a length, the first `cap` of them. Straight to the driver, as
    plain integers: a band is read by the thousand rows."""
    if _dialect() == "postgresql":
        # One planned subquery for every band, the bands as arrays (bound parameters by the
        # hundred cost planning time).
        columns = [list(column) for column in zip(*bands, strict=True)]
        return _driver_rows(
            """
            SELECT band.term, band.frequency, p.length, p.fact_check_id
            FROM unnest(%s::int[], %s::int[], %s::int[], %s::int[], %s::int[])
                AS band(term, frequency, length, after, until)
            CROSS JOIN LATERAL (
                SELECT length, fact_check_id FROM search_postings
                WHERE term_id = band.term AND frequency = band.frequency
                  AND (length, fact_check_id) > (band.length, band.after)
                  AND length <= band.until
                ORDER BY length, fact_check_id LIMIT %s
            ) p
            """,
            [*columns, cap],
        )
    # SQLite: a compound of one small range each (planning is cheap in process), at most
    # SQLITE_MAX_COMPOUND_SELECT (500 by default) in one.
    if len(bands) > COMPOUND:
        return [
            row
            for start in range(0, len(bands), COMPOUND)
            for row in _read_bands(bands[start : start + COMPOUND], cap)
        ]
    parts, values = [], []
    for term, frequency, length, after, until in bands:
        parts.append(
            f"SELECT * FROM (SELECT {int(term)}, {int(frequency)}, length, fact_check_id"
            f" FROM search_postings WHERE term_id = {int(term)} AND frequency = {int(frequency)}"
            " AND (length, fact_check_id) > (?, ?) AND length <= ?"
            " ORDER BY length, fact_check_id LIMIT ?)"
        )
        values += [length, after, until, cap]
    return _driver_rows(" UNION ALL ".join(parts), values)


def _intersection(
    regions: dict[int, list[tuple[int, int, int]]], looked_up: list[int], cap: int | None
) -> tuple[list[tuple[int, ...]], dict[int, int]]:
    """The fact-checks in every region that hold every looked-up term: (id, length, then each
    term's frequency: the regions' terms in order, then the looked-up ones); and how many
    postings each region holds, counted to `cap` + 1. A region is a term's postings of each
    (frequency, length after which, greatest length)."""
    postgresql = _dialect() == "postgresql"
    limit = "" if cap is None else f" LIMIT {int(cap) + 1}"
    parts: list[str] = []
    values: list[Any] = []
    for number, (term, groups) in enumerate(regions.items()):
        if postgresql:
            within = (
                "unnest(%s::int[], %s::int[], %s::int[]) AS g(frequency, after, until)"
                " CROSS JOIN LATERAL"
                " (SELECT fact_check_id, frequency, length FROM search_postings"
                f" WHERE term_id = {int(term)} AND frequency = g.frequency"
                " AND length > g.after AND length <= g.until) p"
            )
            values += [list(column) for column in zip(*groups, strict=True)] or [[], [], []]
        else:
            within = (
                "json_each(?) AS g CROSS JOIN search_postings p"
                f" ON p.term_id = {int(term)} AND p.frequency = json_extract(g.value, '$[0]')"
                " AND p.length > json_extract(g.value, '$[1]')"
                " AND p.length <= json_extract(g.value, '$[2]')"
            )
            values.append(json.dumps(groups))
        parts.append(
            f"r{number} AS MATERIALIZED (SELECT p.fact_check_id, p.frequency, p.length"
            f" FROM {within}{limit})"
        )
    names = [f"r{number}" for number in range(len(regions))]
    frequencies = [f"{name}.frequency" for name in names]
    joins = " ".join(f"JOIN {name} USING (fact_check_id)" for name in names[1:])
    for number, term in enumerate(looked_up):
        # By key, once for each fact-check of the regions: LATERAL ... LIMIT 1 keeps
        # PostgreSQL from hashing the term's whole range instead, and SQLite's CROSS JOIN
        # keeps the regions the outer loop.
        probe = (
            f"SELECT frequency FROM search_postings WHERE term_id = {int(term)}"
            f" AND fact_check_id = r0.fact_check_id"
        )
        if postgresql:
            joins += f" CROSS JOIN LATERAL ({probe} LIMIT 1) k{number}"
        else:
            joins += (
                f" CROSS JOIN search_postings k{number} ON k{number}.term_id = {int(term)}"
                f" AND k{number}.fact_check_id = r0.fact_check_id"
            )
        frequencies.append(f"k{number}.frequency")
    counts = ", ".join(f"(SELECT count(*) FROM {name})" for name in names)
    padding = ", 0" * len(looked_up)
    statement = (
        f"WITH {', '.join(parts)}"
        f" SELECT r0.fact_check_id, r0.length, {', '.join(frequencies)} FROM r0 {joins}"
        f" UNION ALL SELECT -1, 0, {counts}{padding}"
    )
    rows = _driver_rows(statement, values)
    sizes = next(row for row in rows if row[0] == -1)[2 : 2 + len(regions)]
    return [row for row in rows if row[0] != -1], dict(zip(regions, sizes, strict=True))


def _postings_of(fact_check_ids: list[int], term_ids: list[int]) -> list[tuple[int, int, int, int]]:
    """(fact-check id, term id, frequency, length) of these fact-checks' postings of these
    terms, by the (term_id, fact_check_id) index: a term's seeks stay in its own range, which
    stays cached (by fact-check first, each was a seek anywhere in the index and took twice as
    long at 1M); the ids as one parameter."""
    terms = ", ".join(str(int(term)) for term in dict.fromkeys(term_ids))
    select_postings = "SELECT fact_check_id, term_id, frequency, length FROM search_postings"
    if _dialect() == "postgresql":
        where = f" WHERE term_id IN ({terms}) AND fact_check_id = ANY(%s::int[])"
        return _driver_rows(select_postings + where, [sorted(fact_check_ids)])
    where = f" WHERE term_id IN ({terms}) AND fact_check_id IN (SELECT value FROM json_each(?))"
    return _driver_rows(select_postings + where, [json.dumps(sorted(fact_check_ids))])


def _driver_rows(statement: str, values: list[Any]) -> list[Any]:
    cursor = db.session.connection().connection.cursor()
    try:
        cursor.execute(statement, values)
        return list(cursor.fetchall())
    finally:
        cursor.close()


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _among(column: ColumnElement[int] | Any, ids: list[int]) -> ColumnElement[bool]:
    """column IN ids, the ids as one parameter: a PostgreSQL array, a JSON array on SQLite."""
    if db.session.get_bind().dialect.name == "postgresql":
        array = bindparam("among", ids, type_=postgresql.ARRAY(Integer))
        found: ColumnElement[bool] = column == any_(array)
        return found
    values = func.json_each(json.dumps(ids)).table_valued("value")
    inside: ColumnElement[bool] = column.in_(select(values.c.value))
    return inside


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
