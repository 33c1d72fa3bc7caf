"""Every Redis key carries the identity of the database it came from (and REDIS_PREFIX): services
on other databases sharing one redis-server, or a database recreated under a Redis that kept its
keys, never serve each other's documents."""

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from flask import Flask
from sqlalchemy import make_url, text

from factcheck.core import keys
from factcheck.core.organizations import organization
from factcheck.storage import cache
from factcheck.storage.db import db
from factcheck.storage.models import DEFAULT_RATING_SCALE

from .conftest import (
    FACT_CHECK,
    _create_postgres_database,
    _drop_postgres_database,
    _libpq,
    _migrate,
    create_article,
    create_fact_check,
    make_app,
    new_organization,
    publish,
)
from .production_server import ProductionServer
from .redis_server import RedisServer, free_port

BASE = os.environ.get("TEST_DATABASE_URL", "")
CLAIMREVIEW = "/api/v1/fact-checks/{id}/claimreview"


class Databases:
    """Databases of one test's own, migrated: SQLite files, or PostgreSQL databases."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.made: list[str] = []

    def new(self) -> str:
        if BASE.startswith("postgres"):
            url = _create_postgres_database(BASE)
        else:
            url = f"sqlite:///{self.directory / f'db{len(self.made)}.sqlite3'}"
        self.made.append(url)
        _migrate(url)
        return url

    def recreate(self, url: str) -> None:
        """Drop the database and make it again under the same URL, migrated, as
        `make clean && make run` (or DROP DATABASE and a new deployment) would."""
        if BASE.startswith("postgres"):
            name = make_url(url).database
            with psycopg.connect(_libpq(BASE), autocommit=True) as connection:
                connection.execute(f'DROP DATABASE "{name}" WITH (FORCE)')  # type: ignore[arg-type]
                connection.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
        else:
            path = Path(make_url(url).database or "")
            for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
                leftover.unlink(missing_ok=True)
        _migrate(url)

    def drop_all(self) -> None:
        if BASE.startswith("postgres"):
            for url in self.made:
                _drop_postgres_database(BASE, url)


@pytest.fixture
def databases(tmp_path: Path) -> Iterator[Databases]:
    made = Databases(tmp_path)
    yield made
    made.drop_all()


@pytest.fixture
def apps(redis_server: RedisServer) -> Iterator[Callable[..., Flask]]:
    """Apps on the session's redis-server, emptied first; their connections closed after."""
    redis_server.client().flushdb()
    made: list[Flask] = []

    def make(database_url: str, **overrides: Any) -> Flask:
        app = make_app(database_url, overrides.pop("redis_url", redis_server.url), **overrides)
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def published_claim(app: Flask, claim: str, verdict: str = "Mostly false") -> int:
    """One published fact-check of `claim` in a new article of a new organization: its id."""
    client = app.test_client()
    writer = new_organization(app, "desk")
    article_id = create_article(client, writer).get_json()["id"]
    # A verdict is a pair of the default scale: its value goes with the label.
    value = next(
        entry["ratingValue"]
        for entry in DEFAULT_RATING_SCALE["labels"]
        if entry["alternateName"] == verdict
    )
    rating = {**FACT_CHECK["rating"], "ratingValue": value, "alternateName": verdict}
    draft = create_fact_check(client, writer, article_id, claimReviewed=claim, rating=rating)
    assert publish(client, writer, draft).status_code == 200
    fact_check_id: int = draft.get_json()["id"]
    return fact_check_id


def identity_of(app: Flask) -> str:
    with app.app_context():
        found = db.session.scalar(text("SELECT id FROM database_identity"))
        db.session.remove()
    assert found
    return str(found)


def test_every_key_carries_redis_prefix_and_the_database_identity(
    databases: Databases, apps: Callable[..., Flask], redis_server: RedisServer
) -> None:
    app = apps(databases.new(), REDIS_PREFIX="tenant-a:")
    fact_check_id = published_claim(app, "Inflation halved within one year")
    client = app.test_client()
    for path in (
        CLAIMREVIEW.format(id=fact_check_id),
        f"/api/v1/fact-checks/{fact_check_id}",
        f"/fact-checks/{fact_check_id}",
        "/api/v1/organizations/desk",
    ):
        assert client.get(path).status_code == 200
    keys = sorted(key.decode() for key in redis_server.client().keys("*"))
    assert keys, "the reads were cached"
    namespace = f"tenant-a:{identity_of(app)}:"
    with app.app_context():
        assert cache.namespace() == namespace
    assert [key for key in keys if not key.startswith(namespace)] == []
    assert f"{namespace}doc:fc:{fact_check_id}:ld" in keys


def test_two_services_on_two_databases_share_a_redis_and_never_each_others_documents(
    databases: Databases, apps: Callable[..., Flask]
) -> None:
    first, second = apps(databases.new()), apps(databases.new())
    assert identity_of(first) != identity_of(second)
    # The same ids in both databases, with different claims behind them.
    first_id = published_claim(first, "The claim checked by the first desk")
    second_id = published_claim(second, "The claim checked by the second desk", "False")
    assert first_id == second_id
    path = CLAIMREVIEW.format(id=first_id)
    one, two = first.test_client(), second.test_client()
    for _ in range(2):  # built, then served from Redis (and from the process's own copies)
        assert one.get(path).get_json()["claimReviewed"] == "The claim checked by the first desk"
        assert two.get(path).get_json()["claimReviewed"] == "The claim checked by the second desk"
    for page in (f"/fact-checks/{first_id}", f"/fact-checks/{first_id}/embed"):
        assert b"second desk" not in one.get(page).data
        assert b"first desk" not in two.get(page).data

    # A correction in the first service changes what it serves, and nothing of the second's.
    before = two.get(path)
    corrected = one.patch(
        f"/api/v1/fact-checks/{first_id}",
        json={"reviewBody": "A clearer explanation."},
        headers={**owner_key(first), "If-Match": "*"},
    )
    assert corrected.status_code == 200, corrected.get_json()
    assert one.get(path).get_json()["reviewBody"] == "A clearer explanation."
    after = two.get(path)
    assert after.data == before.data and after.headers["ETag"] == before.headers["ETag"]


def owner_key(app: Flask) -> dict[str, str]:
    """Another key of desk, the organization published_claim made."""
    with app.app_context():
        token = keys.issue(organization("desk").id, "owner", frozenset({"write", "publish"}))
    return {"Authorization": f"Bearer {token}"}


def test_a_database_recreated_under_a_warm_redis_serves_its_own_documents(
    databases: Databases, apps: Callable[..., Flask], redis_server: RedisServer
) -> None:
    url = databases.new()
    old = apps(url)
    old_id = published_claim(old, "The claim of the database that was dropped")
    for path in (CLAIMREVIEW.format(id=old_id), f"/fact-checks/{old_id}"):
        assert b"was dropped" in old.test_client().get(path).data
    with old.app_context():
        db.engine.dispose()
    warm = redis_server.client().dbsize()
    assert warm > 0

    databases.recreate(url)
    # The new database's content is written without Redis: nothing drops the old entries.
    new_id = published_claim(apps(url, redis_url=""), "The claim of the new database")
    assert new_id == old_id
    assert redis_server.client().dbsize() == warm

    reader = apps(url).test_client()
    for path in (CLAIMREVIEW.format(id=new_id), f"/fact-checks/{new_id}"):
        response = reader.get(path)
        assert b"new database" in response.data and b"was dropped" not in response.data


def test_without_a_database_identity_nothing_is_cached(
    databases: Databases, apps: Callable[..., Flask], redis_server: RedisServer
) -> None:
    """An identity that cannot be read means no namespace: the cache is not used at all."""
    app = apps(databases.new())
    fact_check_id = published_claim(app, "Inflation halved within one year")
    with app.app_context():
        db.session.execute(text("DELETE FROM database_identity"))
        db.session.commit()
    redis_server.client().flushdb()  # the publish left its generation keys
    reader = apps(app.config["DATABASE_URL"])
    response = reader.test_client().get(CLAIMREVIEW.format(id=fact_check_id))
    assert response.status_code == 200
    assert redis_server.client().keys("*") == []
    with reader.app_context():
        assert cache.namespace() is None
        assert cache.health() == "degraded"


def test_a_service_started_without_its_database_caches_once_the_database_is_there(
    tmp_path: Path, apps: Callable[..., Flask], redis_server: RedisServer
) -> None:
    """The identity is read at the first use of the cache, not at start-up."""
    url = f"sqlite:///{tmp_path}/not-yet/db.sqlite3"
    app = apps(url, CACHE_COOL_DOWN=0.05)
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    assert client.get("/api/v1/organizations/desk").status_code >= 500
    with app.app_context():
        assert cache.namespace() is None
    (tmp_path / "not-yet").mkdir()
    _migrate(url)
    fact_check_id = published_claim(app, "Inflation halved within one year")
    reads = [client.get(CLAIMREVIEW.format(id=fact_check_id)) for _ in range(2)]
    assert [response.status_code for response in reads] == [200, 200]
    with app.app_context():
        namespace = cache.namespace()
    assert namespace is not None
    assert redis_server.client().exists(f"{namespace}doc:fc:{fact_check_id}:ld")


def test_the_production_server_starts_with_neither_database_nor_redis_reachable(
    tmp_path: Path,
) -> None:
    server = ProductionServer(
        {
            "DATABASE_URL": f"postgresql://nobody@127.0.0.1:{free_port()}/missing",
            "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
        }
    )
    server.start()
    try:
        assert server.request("GET", "/healthz").status == 200
        ready = server.request("GET", "/readyz")
        assert ready.status == 503
        assert ready.json()["checks"]["database"] == "unreachable"
    finally:
        server.stop()
