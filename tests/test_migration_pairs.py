"""Migration 0015: the pairs' postings already stored come to hold their terms' frequencies,
packed as the analysis packs them, and a downgrade and upgrade again change nothing. On SQLite,
and on PostgreSQL with TEST_DATABASE_URL."""

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from factcheck.storage import search_index
from factcheck.storage.db import db

from .conftest import make_app

TERMS = {1: "rate", 2: "rose", 3: "rate rose", 4: "rose rate", 5: "fell"}
# (term, fact-check, frequency, length): fact-check 7's "rose" is too frequent to pack.
POSTINGS = [
    (1, 6, 30, 120),
    (2, 6, 4, 120),
    (3, 6, 12, 120),
    (5, 6, 1, 120),
    (1, 7, 2, 90_000),
    (2, 7, 3 * search_index.PAIR_BASE, 90_000),
    (3, 7, 2, 90_000),
    (4, 7, 1, 90_000),
]


def _pairs() -> dict[tuple[int, int], int]:
    rows = db.session.execute(
        text(
            "SELECT term_id, fact_check_id, frequency FROM search_postings WHERE term_id IN (3, 4)"
        )
    )
    return {(term, fact_check): frequency for term, fact_check, frequency in rows}


def _words() -> set[tuple[int, int, int, int]]:
    rows = db.session.execute(
        text(
            "SELECT term_id, fact_check_id, frequency, length FROM search_postings"
            " WHERE term_id NOT IN (3, 4)"
        )
    )
    return {tuple(row) for row in rows}


def test_stored_pairs_are_packed_from_their_terms_postings(fresh_url: str) -> None:
    app = make_app(fresh_url, "")
    with app.app_context():
        upgrade(revision="0014")
        db.session.execute(
            text("INSERT INTO search_terms (id, term, documents) VALUES (:i, :t, 1)"),
            [{"i": i, "t": term} for i, term in TERMS.items()],
        )
        db.session.execute(
            text(
                "INSERT INTO search_postings (term_id, fact_check_id, frequency, length)"
                " VALUES (:t, :f, :n, :l)"
            ),
            [dict(zip("tfnl", posting, strict=True)) for posting in POSTINGS],
        )
        db.session.commit()
        words = _words()
        db.session.remove()
        upgrade()
        packed = {
            (3, 6): search_index.pair_frequency(30, 4),
            (3, 7): search_index.UNPACKED,
            (4, 7): search_index.UNPACKED,
        }
        assert _pairs() == packed
        assert search_index.pair_frequencies(packed[3, 6]) == (30, 4)
        assert _words() == words
        db.session.remove()
        downgrade(revision="0014")
        upgrade()
        assert _pairs() == packed
        db.session.remove()
        db.engine.dispose()
