"""Fixtures: an app on a fresh database (SQLite, or PostgreSQL with TEST_DATABASE_URL) and a real
redis-server started for the session."""

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import make_url, text

from factcheck import create_app
from factcheck.core import keys, seed
from factcheck.core.organizations import create_organization
from factcheck.storage.db import Base, db

from .redis_server import RedisServer

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    yield server
    server.stop()


@contextmanager
def migrated_database(sqlite_path: Path) -> Iterator[str]:
    """A new database migrated to head: on the suite's PostgreSQL (TEST_DATABASE_URL) a database
    of its own, dropped afterwards, else SQLite at `sqlite_path`."""
    base = os.environ.get("TEST_DATABASE_URL", "")
    if base.startswith("postgres"):
        url = _create_postgres_database(base)
        try:
            _migrate(url)
            yield url
        finally:
            _drop_postgres_database(base, url)
    else:
        url = f"sqlite:///{sqlite_path}"
        _migrate(url)
        yield url


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database of this test session's own, migrated to head once."""
    with migrated_database(tmp_path_factory.mktemp("db") / "test.sqlite3") as url:
        yield url


@pytest.fixture
def own_database(tmp_path: Path) -> Iterator[str]:
    """A database of one test's own, for servers in other processes that commit."""
    with migrated_database(tmp_path / "own.sqlite3") as url:
        yield url


@pytest.fixture
def fresh_url(tmp_path: Path) -> Iterator[str]:
    """An empty database, not migrated: for tests of the migrations themselves."""
    base = os.environ.get("TEST_DATABASE_URL", "")
    if not base.startswith("postgres"):
        yield f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
        return
    url = _create_postgres_database(base)
    try:
        yield url
    finally:
        _drop_postgres_database(base, url)


def _create_postgres_database(base: str) -> str:
    import psycopg

    name = f"factcheck_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_libpq(base), autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    return make_url(base).set(database=name).render_as_string(hide_password=False)


def _drop_postgres_database(base: str, url: str) -> None:
    import psycopg

    name = make_url(url).database
    with psycopg.connect(_libpq(base), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _migrate(url: str) -> None:
    app = create_app({"DATABASE_URL": url, "REDIS_URL": ""})
    with app.app_context():
        upgrade()
        db.engine.dispose()


def make_app(database_url: str, redis_url: str, **overrides: Any) -> Flask:
    return create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "SITE_URL": "http://factcheck.test",
            # Tests that are about rate limits turn them on (tests/test_limits.py).
            "RATE_LIMIT_ENABLED": False,
            # Tests replay lost cache invalidations themselves; no sweeper thread per app.
            "CACHE_REPLAY_INTERVAL": 0,
            **overrides,
        }
    )


@pytest.fixture
def app(database_url: str, redis_server: RedisServer) -> Iterator[Flask]:
    app = make_app(database_url, redis_server.url)
    with app.app_context():
        _empty_tables()
    redis_server.client().flushdb()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _empty_tables() -> None:
    for table in reversed(Base.metadata.sorted_tables):
        db.session.execute(text(f"DELETE FROM {table.name}"))
    db.session.commit()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


def new_organization(app: Flask, slug: str, scopes: str = "write publish") -> dict[str, str]:
    """An organization and the Authorization header of a key of it."""
    with app.app_context():
        organization = create_organization(
            slug, f"{slug.title()} Checks", f"https://{slug}.example.org/"
        )
        token = keys.issue(organization.id, "tests", frozenset(scopes.split()))
    return {"Authorization": f"Bearer {token}"}


def key_of_new_organization(database_url: str, slug: str = "desk") -> dict[str, str]:
    """For a server in another process: an organization in `database_url` and a key's header."""
    app = make_app(database_url, "")
    with app.app_context():
        try:
            return new_organization(app, slug)
        finally:
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def writer(app: Flask) -> dict[str, str]:
    return new_organization(app, "desk")


@pytest.fixture
def rival(app: Flask) -> dict[str, str]:
    return new_organization(app, "rival")


@pytest.fixture
def seeded(app: Flask) -> list[str]:
    with app.app_context():
        return list(seed.load_directory(SEEDS))


ARTICLE = {
    "url": "https://news.example.com/2024/05/story?utm_source=x",
    "headline": "Minister says inflation halved",
    "publisher": {"name": "Example News", "url": "https://news.example.com/"},
    "datePublished": "2024-05-02",
    "inLanguage": "en",
    "text": "Opening line. The minister said inflation halved in a year. Closing line.",
}

FACT_CHECK = {
    "claimReviewed": "Inflation halved within one year",
    "quote": "The minister said inflation halved in a year.",
    "claimAuthor": {"name": "The Minister", "type": "Person", "jobTitle": "Finance minister"},
    "claimDate": "2024-05-01",
    "rating": {
        "ratingValue": 2,
        "bestRating": 5,
        "worstRating": 1,
        "alternateName": "Mostly false",
        "ratingExplanation": "Inflation fell by a third, not a half.",
    },
    "reviewBody": "Official statistics show a fall from 9% to 6% over the year.",
    "evidence": [
        {
            "url": "https://stats.example.gov/cpi",
            "title": "Consumer price index",
            "publisher": "Statistics Office",
            "datePublished": "2024-04-15",
            "relation": "refutes",
        }
    ],
    "url": "https://desk.example.org/checks/inflation#halved",
}


def create_article(client: FlaskClient, headers: dict[str, str], **fields: Any) -> Any:
    response = client.post("/api/v1/articles", json={**ARTICLE, **fields}, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response


def create_fact_check(
    client: FlaskClient, headers: dict[str, str], article_id: int, **fields: Any
) -> Any:
    response = client.post(
        f"/api/v1/articles/{article_id}/fact-checks", json={**FACT_CHECK, **fields}, headers=headers
    )
    assert response.status_code == 201, response.get_json()
    return response


def publish(client: FlaskClient, headers: dict[str, str], fact_check: Any) -> Any:
    return client.post(
        f"/api/v1/fact-checks/{fact_check.get_json()['id']}/publish",
        headers={**headers, "If-Match": fact_check.headers["ETag"]},
    )
