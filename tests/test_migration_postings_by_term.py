"""Migration 0014 (postings by term and fact-check): it builds the index over postings already
stored, past the requests' statement timeout, leaves the requests' connections their budget,
and steps down and up again. On SQLite, and on PostgreSQL with TEST_DATABASE_URL."""

from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.pool import NullPool

from factcheck.storage import store
from factcheck.storage.db import db

from .conftest import make_app

# On PostgreSQL, enough postings that building the index takes several times TIMEOUT (the
# least the settings accept; about 0.4 s for these on this machine kind). SQLite has no
# statement timeout: fewer postings there.
POSTGRES_POSTINGS, SQLITE_POSTINGS = 500_000, 20_000
TIMEOUT = 0.1
BY_TERM = "ix_search_postings_term_fact_check"


def _postings_indexes() -> set[str]:
    indexes = inspect(db.session.connection()).get_indexes("search_postings")
    return {str(index["name"]) for index in indexes}


def test_the_index_is_built_over_stored_postings_past_the_statement_timeout(
    fresh_url: str,
) -> None:
    app = make_app(fresh_url, "", DATABASE_STATEMENT_TIMEOUT=TIMEOUT)
    with app.app_context():
        upgrade(revision="0013")
        # Postings straight in SQL (twenty terms a fact-check, of 15,000), so that the index
        # has a large table to sort.
        if store.dialect() == "postgresql":
            numbers, last = "SELECT generate_series(0, :last) AS i", POSTGRES_POSTINGS - 1
        else:
            numbers = (
                "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < :last)"
                " SELECT i FROM n"
            )
            last = SQLITE_POSTINGS - 1
        # On an engine of the test's own: the app's would cut this off at TIMEOUT.
        loader = create_engine(fresh_url, poolclass=NullPool)
        with loader.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO search_postings (term_id, frequency, length, fact_check_id)"
                    f" SELECT i % 15000, 1 + i % 7, 180, i / 20 FROM ({numbers}) AS numbers"
                ),
                {"last": last},
            )
        loader.dispose()
        assert BY_TERM not in _postings_indexes()
        db.session.remove()
        upgrade()
        assert BY_TERM in _postings_indexes()
        if store.dialect() == "postgresql":
            # Requests' connections keep their budget after a migration lifted its own.
            assert db.session.scalar(text("SHOW statement_timeout")) == "100ms"
        # Postings are read as before: term 7 is the row i = 7 (fact-check 0) and i = 15007
        # (fact-check 750), not fact-check 751.
        found = db.session.execute(
            text(
                "SELECT fact_check_id, frequency FROM search_postings"
                " WHERE term_id = 7 AND fact_check_id IN (0, 750, 751)"
            )
        ).all()
        assert sorted(found) == [(0, 1 + 7 % 7), (750, 1 + 15007 % 7)]
        db.session.remove()
        downgrade(revision="0013")
        assert BY_TERM not in _postings_indexes()
        db.session.remove()
        upgrade()
        assert BY_TERM in _postings_indexes()
        db.session.remove()
        db.engine.dispose()
