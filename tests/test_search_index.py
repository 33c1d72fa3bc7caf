"""Migration 0007 builds the search index from the published fact-checks already stored, and
steps back down to 0003's full-text search; on SQLite, and on PostgreSQL with TEST_DATABASE_URL."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import insert, select

from factcheck.storage import search_index
from factcheck.storage.db import db
from factcheck.storage.models import DRAFT, PUBLISHED, RETRACTED, Article, FactCheck, Organization

from .conftest import _create_postgres_database, _drop_postgres_database, make_app


@pytest.fixture
def fresh_url(tmp_path: Path) -> Iterator[str]:
    base = os.environ.get("TEST_DATABASE_URL", "")
    if not base.startswith("postgres"):
        yield f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
        return
    url = _create_postgres_database(base)
    try:
        yield url
    finally:
        _drop_postgres_database(base, url)


def test_the_migration_indexes_what_was_published(fresh_url: str) -> None:
    app = make_app(fresh_url, "")
    with app.app_context():
        upgrade(revision="0006")
        # Rows as the code of 0006 left them: written straight, no index of ours to maintain.
        # The organization by its 0006 columns only: later migrations add some of their own.
        owner_id = db.session.execute(
            insert(Organization)
            .values(slug="old", name="Old", url="https://old.example.org/", rating_scale={})
            .returning(Organization.id)
        ).scalar_one()
        article = Article(organization_id=owner_id, headline="Winter games", in_language="en")
        db.session.add(article)
        db.session.flush()
        for claim, status in [
            ("The Beijing Winter Olympics took place in February", PUBLISHED),
            ("Olympics drafts stay out", DRAFT),
            ("Retracted Olympics claim", RETRACTED),
            ("Grain exports fell", PUBLISHED),
        ]:
            db.session.add(
                FactCheck(
                    organization_id=owner_id,
                    article_id=article.id,
                    status=status,
                    claim_reviewed=claim,
                    in_language="en",
                    claim_author={"name": "Someone"},
                )
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
