"""A database that is locked, refuses connections or drops packets (SPEC §5): writes and uncached
reads answer 503 problem+json with Retry-After within the DATABASE_*_TIMEOUT budgets, nothing is
half-written, cached public documents are still served, and the service recovers by itself.

SQLite is held by a second connection (BEGIN EXCLUSIVE); PostgreSQL (TEST_DATABASE_URL) is
reached through tests/tcp_proxy.py, which the tests cut and black-hole.
"""

import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, make_url, select

from factcheck.settings import SettingsError, from_env
from factcheck.storage.db import db, engine_options
from factcheck.storage.models import Article, FactCheck, IdempotencyRecord, Revision

from .conftest import (
    ARTICLE,
    _migrate,
    create_article,
    create_fact_check,
    make_app,
    new_organization,
    publish,
)
from .redis_server import RedisServer
from .tcp_proxy import TcpProxy

POSTGRES = os.environ.get("TEST_DATABASE_URL", "")
# Small budgets, so that each fault is answered in seconds (the defaults are in settings.py).
BUDGETS = {
    "DATABASE_CONNECT_TIMEOUT": 2.0,
    "DATABASE_STATEMENT_TIMEOUT": 1.0,
    "DATABASE_LOCK_TIMEOUT": 1.0,
    "DATABASE_POOL_TIMEOUT": 1.0,
}
# What a request may take at most while the database fails: for a silent PostgreSQL, the ping
# of a pooled connection (statement timeout + 1 s) and then a new connection's connect timeout;
# with slack for a shared machine. Without the budgets these requests took 10 s or hung.
WITHIN = 8.0


def timed(call: Callable[[], Any]) -> tuple[Any, float]:
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


def assert_unavailable(response: Any, elapsed: float) -> None:
    request = response.request
    print(f"{request.method} {request.path}: {response.status_code} in {elapsed:.2f} s")
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["type"] == "urn:factcheck:problem:database-unavailable"
    assert int(response.headers["Retry-After"]) > 0
    assert elapsed < WITHIN, f"answered after {elapsed:.1f} s"


def counts(app: Flask) -> dict[str, int]:
    with app.app_context():
        try:
            return {
                model.__name__: int(db.session.scalar(select(func.count()).select_from(model)) or 0)
                for model in (Article, FactCheck, Revision, IdempotencyRecord)
            }
        finally:
            db.session.remove()


class Story:
    """A published fact-check whose ClaimReview is cached, a draft, and a key."""

    def __init__(self, client: FlaskClient, headers: dict[str, str]) -> None:
        self.client, self.headers = client, headers
        article = create_article(client, headers)
        self.article_id = article.get_json()["id"]
        published = create_fact_check(client, headers, self.article_id)
        assert publish(client, headers, published).status_code == 200
        self.published_id = published.get_json()["id"]
        self.cached = f"/api/v1/fact-checks/{self.published_id}/claimreview"
        assert client.get(self.cached).status_code == 200
        draft = create_fact_check(
            client, headers, self.article_id, url="https://desk.example.org/checks/draft"
        )
        self.draft = f"/api/v1/fact-checks/{draft.get_json()['id']}"
        self.draft_etag = draft.headers["ETag"]

    def patch(self) -> Any:
        return self.client.patch(
            self.draft,
            json={"reviewBody": "Revised while the database was failing."},
            headers={**self.headers, "If-Match": self.draft_etag},
        )

    def post(self, key: str) -> Any:
        return self.client.post(
            "/api/v1/articles",
            json={**ARTICLE, "url": f"https://news.example.com/{key}"},
            headers={**self.headers, "Idempotency-Key": key},
        )

    def uncached_get(self) -> Any:
        return self.client.get(self.draft, headers=self.headers)

    def recovered(self, key: str) -> None:
        """Writes succeed again without a restart: the same PATCH, and the POST retried with the
        key it had during the fault, which creates its article once."""
        deadline = time.monotonic() + 30
        while (patched := self.patch()).status_code == 503 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert patched.status_code == 200, patched.get_data(as_text=True)
        assert self.post(key).status_code == 201
        replayed = self.post(key)
        assert replayed.status_code == 201
        assert replayed.headers["Idempotent-Replayed"] == "true"


# --- SQLite: another connection holds the write lock ------------------------------------------


@pytest.fixture
def sqlite_app(tmp_path: Any, redis_server: RedisServer) -> Iterator[Flask]:
    url = f"sqlite:///{tmp_path / 'locked.sqlite3'}"
    _migrate(url)
    redis_server.client().flushdb()
    app = make_app(url, redis_server.url, **BUDGETS)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_locked_sqlite_answers_503_within_the_lock_timeout(sqlite_app: Flask) -> None:
    client = sqlite_app.test_client()
    story = Story(client, new_organization(sqlite_app, "desk"))
    before = counts(sqlite_app)
    holder = sqlite3.connect(make_url(sqlite_app.config["DATABASE_URL"]).database or "")
    holder.isolation_level = None
    holder.execute("BEGIN EXCLUSIVE")
    try:
        for request in (story.patch, lambda: story.post("locked-1")):
            response, elapsed = timed(request)
            assert_unavailable(response, elapsed)
        # WAL: readers do not wait for the writer, so reads go on.
        assert story.uncached_get().status_code == 200
        assert client.get(story.cached).status_code == 200
    finally:
        holder.rollback()
        holder.close()
    assert counts(sqlite_app) == before
    story.recovered("locked-1")


# --- PostgreSQL behind a proxy that fails -----------------------------------------------------


@pytest.fixture
def proxy() -> Iterator[TcpProxy]:
    if not POSTGRES.startswith("postgres"):
        pytest.skip("PostgreSQL faults need TEST_DATABASE_URL")
    target = make_url(POSTGRES)
    running = TcpProxy(target.host or "127.0.0.1", target.port or 5432)
    running.start()
    yield running
    running.stop()


@pytest.fixture
def proxied_app(
    app: Flask, database_url: str, proxy: TcpProxy, redis_server: RedisServer
) -> Iterator[Flask]:
    """The session's test database, reached through the proxy (`app` has emptied it)."""
    url = make_url(database_url).set(host="127.0.0.1", port=proxy.port)
    proxied = make_app(url.render_as_string(hide_password=False), redis_server.url, **BUDGETS)
    yield proxied
    with proxied.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.mark.parametrize("fault", ["cut", "black_hole"])
def test_postgresql_refusing_or_silent_answers_503_within_the_budget(
    app: Flask, proxied_app: Flask, proxy: TcpProxy, fault: str
) -> None:
    client = proxied_app.test_client()
    story = Story(client, new_organization(app, "desk"))
    before = counts(app)
    getattr(proxy, fault)()
    try:
        for request in (story.patch, lambda: story.post("fault-1"), story.uncached_get):
            response, elapsed = timed(request)
            assert_unavailable(response, elapsed)
        # A published document Redis holds needs no database.
        cached, elapsed = timed(lambda: client.get(story.cached))
        assert cached.status_code == 200
        assert elapsed < WITHIN
    finally:
        proxy.restore()
    assert counts(app) == before
    story.recovered("fault-1")


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"DATABASE_LOCK_TIMEOUT": "soon"}, "DATABASE_LOCK_TIMEOUT must be a number of seconds"),
        ({"DATABASE_STATEMENT_TIMEOUT": "0"}, "DATABASE_STATEMENT_TIMEOUT must be a number"),
        ({"DATABASE_POOL_TIMEOUT": "nan"}, "DATABASE_POOL_TIMEOUT must be a number"),
        ({"DATABASE_CONNECT_TIMEOUT": "1"}, "DATABASE_CONNECT_TIMEOUT must be a number"),
    ],
)
def test_the_budgets_are_checked_at_start_up(environ: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        from_env(environ)


def test_budgets_reach_the_engine() -> None:
    settings = from_env({"DATABASE_URL": "postgresql://db.example/news"})
    options = engine_options(settings)
    # PostgreSQL's pooled connections are pinged after they idled (storage/db._checked_out).
    assert "pool_pre_ping" not in options and options["pool_timeout"] == 2.0
    assert options["connect_args"]["connect_timeout"] == 2
    assert (
        options["connect_args"]["options"]
        == "-c statement_timeout=3000 -c lock_timeout=2000 -c jit=off"
    )
    sqlite = engine_options(from_env({"DATABASE_LOCK_TIMEOUT": "0.5"}))
    assert sqlite["connect_args"] == {"timeout": 0.5}
