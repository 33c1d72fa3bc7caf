"""Migration 0007 builds the search index from the published fact-checks already stored, and
steps back down to 0003's full-text search; on SQLite, and on PostgreSQL with TEST_DATABASE_URL."""

from datetime import UTC, datetime
from typing import Any

from flask_migrate import downgrade, upgrade
from sqlalchemy import JSON, DateTime, Integer, String, column, insert, select, table

from factcheck.storage import search_index
from factcheck.storage.db import db
from factcheck.storage.models import DRAFT, PUBLISHED, RETRACTED

from .conftest import make_app


def _table(table_name: str, **columns: Any) -> Any:
    return table(
        table_name, column("id", Integer()), *(column(key, kind) for key, kind in columns.items())
    )


_STAMPS = {"version": Integer(), "date_created": DateTime(True), "date_modified": DateTime(True)}
# The tables as 0006 left them, as far as this test writes them.
AT_0006 = {
    "organizations": _table(
        "organizations", slug=String(), name=String(), url=String(), rating_scale=JSON(), **_STAMPS
    ),
    "articles": _table(
        "articles", organization_id=Integer(), headline=String(), in_language=String(), **_STAMPS
    ),
    "fact_checks": _table(
        "fact_checks",
        organization_id=Integer(),
        article_id=Integer(),
        status=String(),
        claim_reviewed=String(),
        in_language=String(),
        claim_author=JSON(),
        claim_appearances=JSON(),
        evidence=JSON(),
        **_STAMPS,
    ),
}


def test_the_migration_indexes_what_was_published(fresh_url: str) -> None:
    app = make_app(fresh_url, "")
    with app.app_context():
        upgrade(revision="0006")
        # Rows as the code of 0006 left them: written straight, no index of ours to maintain,
        # and with 0006's columns only (the models have grown since).
        now = datetime.now(UTC)
        owner = db.session.execute(
            insert(AT_0006["organizations"]).returning(AT_0006["organizations"].c.id),
            [
                {
                    "slug": "old",
                    "name": "Old",
                    "url": "https://old.example.org/",
                    "rating_scale": {},
                    "version": 1,
                    "date_created": now,
                    "date_modified": now,
                }
            ],
        ).scalar_one()
        article = db.session.execute(
            insert(AT_0006["articles"]).returning(AT_0006["articles"].c.id),
            [
                {
                    "organization_id": owner,
                    "headline": "Winter games",
                    "in_language": "en",
                    "version": 1,
                    "date_created": now,
                    "date_modified": now,
                }
            ],
        ).scalar_one()
        db.session.execute(
            insert(AT_0006["fact_checks"]),
            [
                {
                    "organization_id": owner,
                    "article_id": article,
                    "status": status,
                    "version": 1,
                    "claim_reviewed": claim,
                    "in_language": "en",
                    "claim_author": {"name": "Someone"},
                    "claim_appearances": [],
                    "evidence": [],
                    "date_created": now,
                    "date_modified": now,
                }
                for claim, status in [
                    ("The Beijing Winter Olympics took place in February", PUBLISHED),
                    ("Olympics drafts stay out", DRAFT),
                    ("Retracted Olympics claim", RETRACTED),
                    ("Grain exports fell", PUBLISHED),
                ]
            ],
        )
        db.session.commit()
        published = 2
        db.session.remove()
        upgrade()
        documents = db.session.scalar(select(search_index.totals.c.documents))
        assert documents == published
        client = app.test_client()
        body = client.get("/api/v1/claims:search", query_string={"query": "olympics"}).get_json()
        assert [claim["text"] for claim in body["claims"]] == [
            "The Beijing Winter Olympics took place in February"
        ]
        # Alembic migrates on a connection of its own: this session must hold no lock then.
        db.session.remove()
        downgrade(revision="0006")
        upgrade()
        assert db.session.scalar(select(search_index.totals.c.documents)) == published
        db.session.remove()
        db.engine.dispose()
