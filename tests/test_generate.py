"""`flask generate`'s bulk path indexes exactly what one write at a time would: the same terms
with the same document counts, postings, lengths and totals, and a feed entry per fact-check;
in one batch, in batches from the second process, and with the postings' key and index dropped
and rebuilt around the load. On SQLite, and on PostgreSQL with TEST_DATABASE_URL."""

from typing import Any

import pytest
from sqlalchemy import select, text

from factcheck.core import generate
from factcheck.storage import search_index, store
from factcheck.storage.db import db
from factcheck.storage.models import FactCheck, FeedEntry

from .conftest import make_app

COUNT = 35


def _index() -> dict[str, Any]:
    terms = search_index.terms_table
    postings = search_index.postings
    return {
        "terms": {
            term: held
            for term, held in db.session.execute(
                select(terms.c.term, terms.c.documents).where(terms.c.documents > 0)
            )
        },
        "postings": set(
            tuple(row)
            for row in db.session.execute(
                select(
                    terms.c.term, postings.c.fact_check_id, postings.c.frequency, postings.c.length
                ).join(terms, terms.c.id == postings.c.term_id)
            )
        ),
        "documents": {
            fact_check_id: length
            for fact_check_id, length in db.session.execute(select(search_index.documents))
        },
        "totals": tuple(
            db.session.execute(
                select(search_index.totals.c.documents, search_index.totals.c.length)
            ).one()
        ),
    }


def _postings_indexes() -> set[tuple[str, str]]:
    """The postings' key and indexes as defined: a rebuild must make them as the migrations
    did (the same columns, order and uniqueness), not only under the same names."""
    if store.dialect() == "postgresql":
        found = text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'search_postings'"
        )
    else:
        found = text(
            "SELECT name, coalesce(sql, '') FROM sqlite_master"
            " WHERE tbl_name LIKE 'search_postings%'"
        )
    return {(name, definition) for name, definition in db.session.execute(found)}


@pytest.mark.parametrize(
    ("batch", "rebuild"), [(COUNT, False), (10, False), (10, True)], ids=["one", "many", "rebuild"]
)
def test_a_generated_load_indexes_what_one_write_at_a_time_would(
    own_database: str, batch: int, rebuild: bool
) -> None:
    app = make_app(own_database, "")
    with app.app_context():
        indexes = _postings_indexes()
        assert generate.fact_checks(COUNT, batch=batch, rebuild=rebuild) == COUNT
        assert _postings_indexes() == indexes
        loaded = _index()
        ids = list(db.session.scalars(select(FactCheck.id).order_by(FactCheck.id)))
        assert len(ids) == COUNT
        assert set(loaded["documents"]) == set(ids)
        assert set(db.session.scalars(select(FeedEntry.fact_check_id))) == set(ids)
        assert len(loaded["postings"]) > 50 * COUNT
        for fact_check_id in ids:
            with store.unit_of_work():
                search_index.remove(fact_check_id)
        assert _index() == {"terms": {}, "postings": set(), "documents": {}, "totals": (0, 0)}
        # The path of every write: the fact-check read back and analysed on its own.
        for fact_check_id in ids:
            with store.unit_of_work():
                search_index.refresh(fact_check_id)()
        assert _index() == loaded
        db.session.remove()
        db.engine.dispose()
