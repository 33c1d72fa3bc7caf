"""The Redis cache in front of public documents, against a real redis-server (tests/redis_server.py)
that these tests stop, kill, pause and slow down."""

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, func, select

from factcheck.core import claimreview
from factcheck.storage import cache
from factcheck.storage.db import db
from factcheck.storage.models import CacheInvalidation

from .conftest import create_article, create_fact_check, make_app, publish
from .redis_server import RedisServer

COOL_DOWN = 0.2
CORRECTED_RATING = {
    "ratingValue": 1,
    "bestRating": 5,
    "worstRating": 1,
    "alternateName": "False",
    "ratingExplanation": "Inflation did not fall at all.",
}
CORRECTION = {"rating": CORRECTED_RATING, "correction": "The series was revised."}


@dataclass
class Story:
    """An article with one published fact-check and one draft, and the public paths they show on."""

    article_id: int
    published_id: int
    draft_id: int

    @property
    def paths(self) -> dict[str, str]:
        return {
            "fact-check": f"/api/v1/fact-checks/{self.published_id}",
            "claimreview": f"/api/v1/fact-checks/{self.published_id}/claimreview",
            "article": f"/api/v1/articles/{self.article_id}/claimreview",
            "organization": "/api/v1/organizations/desk",
        }


ROUTES = ["fact-check", "claimreview", "article", "organization"]


@pytest.fixture
def app(app: Flask) -> Flask:
    """The breaker retries after COOL_DOWN, so recovery tests wait less than the default."""
    app.extensions["factcheck.cache"].breaker.cool_down = COOL_DOWN
    return app


@pytest.fixture
def story(client: FlaskClient, writer: dict[str, str]) -> Story:
    article_id = create_article(client, writer).get_json()["id"]
    first = create_fact_check(client, writer, article_id)
    assert publish(client, writer, first).status_code == 200
    draft = create_fact_check(
        client,
        writer,
        article_id,
        claimReviewed="Inflation halved for the second year running",
        url="https://desk.example.org/checks/inflation-again",
    )
    return Story(article_id, first.get_json()["id"], draft.get_json()["id"])


@pytest.fixture
def outage(redis_server: RedisServer) -> Iterator[RedisServer]:
    """The session's redis-server, running again after the test whatever the test did to it."""
    yield redis_server
    redis_server.resume()
    if redis_server.process is None:
        redis_server.start()


@contextmanager
def counting_queries(app: Flask) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def verdict(response: Any) -> str:
    body = response.get_json()
    rating = body["reviewRating"] if "reviewRating" in body else body["rating"]
    return str(rating["alternateName"])


def pending_invalidations(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(CacheInvalidation)) or 0


def in_app(app: Flask, read: Callable[[], Any]) -> Any:
    with app.app_context():
        return read()


def document_key(app: Flask, name: str) -> str:
    """The Redis key of cached document `name`: under the app's namespace."""
    namespace = in_app(app, cache.namespace)
    assert namespace, "the namespace is read from the database"
    return f"{namespace}doc:{name}"


def correct(client: FlaskClient, writer: dict[str, str], story: Story) -> Any:
    response = client.patch(
        f"/api/v1/fact-checks/{story.published_id}",
        json=CORRECTION,
        headers={**writer, "If-Match": "*"},
    )
    assert response.status_code == 200, response.get_json()
    return response


# --- the hit path ----------------------------------------------------------------------------


@pytest.mark.parametrize("route", ROUTES)
def test_a_hit_and_a_304_run_no_sql(
    app: Flask, client: FlaskClient, story: Story, route: str
) -> None:
    path = story.paths[route]
    built = client.get(path)
    assert built.status_code == 200
    with counting_queries(app) as queries:
        hit = client.get(path)
        not_modified = client.get(path, headers={"If-None-Match": built.headers["ETag"]})
    assert queries == []
    assert hit.data == built.data
    assert hit.headers["ETag"] == built.headers["ETag"]
    assert hit.mimetype == built.mimetype
    assert not_modified.status_code == 304
    assert not_modified.headers["ETag"] == built.headers["ETag"]


def test_the_fact_check_keeps_its_version_etag_when_cached(
    client: FlaskClient, writer: dict[str, str], story: Story
) -> None:
    path = story.paths["fact-check"]
    client.get(path)
    cached = client.get(path)
    assert cached.headers["ETag"] == f'"fact-check-{story.published_id}-v2"'
    headers = {**writer, "If-Match": cached.headers["ETag"]}
    edit = client.patch(path, json={"reviewBody": "Revised."}, headers=headers)
    assert edit.status_code == 200


def test_public_documents_are_served_without_looking_at_the_key(
    app: Flask, client: FlaskClient, writer: dict[str, str], story: Story
) -> None:
    """Published documents read the same for everyone, so a key (even a bad one) costs nothing."""
    path = story.paths["claimreview"]
    anonymous = client.get(path)
    with counting_queries(app) as queries:
        keyed = client.get(path, headers=writer)
        forged = client.get(path, headers={"Authorization": "Bearer fck_nothing_here"})
    assert queries == []
    assert keyed.status_code == forged.status_code == 200
    assert keyed.data == forged.data == anonymous.data


@pytest.mark.parametrize("suffix", ["", "/claimreview"])
def test_drafts_need_their_key_and_are_never_cached(
    client: FlaskClient,
    writer: dict[str, str],
    rival: dict[str, str],
    story: Story,
    redis_server: RedisServer,
    suffix: str,
) -> None:
    path = f"/api/v1/fact-checks/{story.draft_id}{suffix}"
    assert client.get(path).status_code == 404
    assert client.get(path, headers=rival).status_code == 404
    assert client.get(path, headers={"Authorization": "Bearer fck_nothing_here"}).status_code == 401
    for _ in range(2):
        own = client.get(path, headers=writer)
        assert own.status_code == 200
        assert own.headers["Cache-Control"] == "no-store"
        assert own.headers["Vary"] == "Authorization"
    assert redis_server.client().keys(f"*doc:fc:{story.draft_id}:*") == []


def test_counters_say_hits_and_misses(app: Flask, client: FlaskClient, story: Story) -> None:
    path = story.paths["claimreview"]
    client.get(path)
    client.get(path)
    with app.app_context():
        stats = cache.stats()
        assert cache.health() == "ok"
    assert (stats["hits"], stats["misses"], stats["errors"]) == (1, 1, 0)
    assert stats["breaker"] == "closed"


def test_without_redis_the_cache_is_disabled(database_url: str, story: Story) -> None:
    bare = make_app(database_url, "")
    client = bare.test_client()
    assert client.get(story.paths["claimreview"]).status_code == 200
    with bare.app_context():
        assert cache.health() == "disabled"
        assert cache.stats()["breaker"] == "disabled"
        db.engine.dispose()


# --- invalidation ----------------------------------------------------------------------------

WRITES: dict[str, tuple[Callable[[FlaskClient, dict[str, str], Story], Any], set[str]]] = {
    "publish": (
        lambda c, w, s: c.post(
            f"/api/v1/fact-checks/{s.draft_id}/publish", headers={**w, "If-Match": "*"}
        ),
        {"article"},
    ),
    "correct": (
        lambda c, w, s: c.patch(
            f"/api/v1/fact-checks/{s.published_id}", json=CORRECTION, headers={**w, "If-Match": "*"}
        ),
        {"fact-check", "claimreview", "article"},
    ),
    "edit": (
        lambda c, w, s: c.patch(
            f"/api/v1/fact-checks/{s.published_id}",
            json={"reviewBody": "A clearer explanation."},
            headers={**w, "If-Match": "*"},
        ),
        {"fact-check", "claimreview", "article"},
    ),
    "retract": (
        lambda c, w, s: c.post(
            f"/api/v1/fact-checks/{s.published_id}/retract",
            json={"note": "The statistics were withdrawn."},
            headers={**w, "If-Match": "*"},
        ),
        {"fact-check", "claimreview", "article"},
    ),
    "article": (
        lambda c, w, s: c.patch(
            f"/api/v1/articles/{s.article_id}",
            json={"headline": "Minister corrects inflation claim"},
            headers={**w, "If-Match": "*"},
        ),
        {"claimreview", "article"},
    ),
    "delete": (
        lambda c, w, s: c.delete(
            f"/api/v1/fact-checks/{s.draft_id}", headers={**w, "If-Match": "*"}
        ),
        set(),
    ),
}


@pytest.mark.parametrize("write", WRITES)
def test_every_write_invalidates_every_document_that_shows_it(
    app: Flask,
    client: FlaskClient,
    writer: dict[str, str],
    story: Story,
    redis_server: RedisServer,
    write: str,
) -> None:
    action, changes = WRITES[write]
    before = {route: client.get(path).data for route, path in story.paths.items()}
    for route, path in story.paths.items():
        assert client.get(path).data == before[route]  # served from the cache now
    response = action(client, writer, story)
    assert response.status_code in {200, 204}, response.get_json()
    served = {route: client.get(path).data for route, path in story.paths.items()}
    redis_server.client().flushdb()
    fresh = {route: client.get(path).data for route, path in story.paths.items()}
    assert served == fresh
    assert {route for route in ROUTES if fresh[route] != before[route]} == changes
    assert pending_invalidations(app) == 0


# --- faults ----------------------------------------------------------------------------------

FAULTS: dict[str, Callable[[RedisServer], Any]] = {
    "stopped": RedisServer.stop,
    "killed": RedisServer.kill,
    "paused": RedisServer.pause,
    "slow": lambda server: server.stall(2.0),
}


@pytest.mark.parametrize("fault", FAULTS)
def test_reads_and_writes_succeed_when_redis_fails(
    app: Flask,
    client: FlaskClient,
    writer: dict[str, str],
    story: Story,
    outage: RedisServer,
    fault: str,
) -> None:
    """Each request loses at most one socket timeout (cache.SOCKET_TIMEOUT, 50 ms) to Redis: the
    first failure opens the breaker and later calls skip Redis."""
    app.extensions["factcheck.cache"].breaker.cool_down = 30  # no probe during this test
    path = story.paths["claimreview"]
    client.get(path)
    stalled = FAULTS[fault](outage)
    errors = [in_app(app, cache.stats)["errors"]]
    requests = [
        lambda: client.get(path),
        lambda: client.get(story.paths["fact-check"]),
        lambda: correct(client, writer, story),
        lambda: client.get(path),
        lambda: client.get(story.paths["article"]),
    ]
    responses = []
    for request in requests:
        responses.append(request())
        errors.append(in_app(app, cache.stats)["errors"])
    assert [response.status_code for response in responses] == [200] * len(requests)
    assert [b - a for a, b in zip(errors, errors[1:], strict=False)] == [1, 0, 0, 0, 0]
    assert verdict(responses[3]) == "False"
    assert in_app(app, cache.health) == "degraded"
    assert in_app(app, cache.stats)["breaker"] == "open"
    assert pending_invalidations(app) == 1
    if isinstance(stalled, threading.Thread):
        stalled.join(10)


@pytest.mark.parametrize("outage_kind", ["paused", "down"])
def test_an_invalidation_lost_in_an_outage_is_replayed_before_the_cache_is_trusted(
    app: Flask,
    client: FlaskClient,
    writer: dict[str, str],
    story: Story,
    outage: RedisServer,
    outage_kind: str,
) -> None:
    path = story.paths["claimreview"]
    key = document_key(app, f"fc:{story.published_id}:ld")
    assert verdict(client.get(path)) == "Mostly false"
    stale_entry = outage.client().get(key)
    assert stale_entry is not None
    if outage_kind == "paused":
        outage.pause()
    else:
        outage.client().save()  # the restarted server loads the stale entry back
        outage.stop()
    # A read finds Redis failing first, so the write skips it: a command sent to a paused server
    # would still run when it resumes, and this test wants the invalidation lost.
    assert verdict(client.get(path)) == "Mostly false"
    correct(client, writer, story)
    assert verdict(client.get(path)) == "False"
    assert pending_invalidations(app) == 1
    if outage_kind == "paused":
        outage.resume()
    else:
        outage.start()
    # The write could not reach Redis: the superseded verdict is still stored there.
    assert outage.client().get(key) == stale_entry
    time.sleep(COOL_DOWN)
    assert verdict(client.get(path)) == "False"
    assert in_app(app, cache.health) == "ok"
    assert pending_invalidations(app) == 0
    with counting_queries(app) as queries:
        assert verdict(client.get(path)) == "False"
    assert queries == [], "the cache is trusted again"


def test_another_process_drops_a_lost_invalidation_within_seconds(
    database_url: str,
    app: Flask,
    client: FlaskClient,
    writer: dict[str, str],
    story: Story,
    outage: RedisServer,
) -> None:
    """A process that never saw Redis fail trusts it throughout; its sweep finds the record."""
    reader_app = make_app(database_url, outage.url, CACHE_REPLAY_INTERVAL=1)
    reader = reader_app.test_client()
    path = story.paths["claimreview"]
    try:
        assert verdict(reader.get(path)) == "Mostly false"
        key = document_key(app, f"fc:{story.published_id}:ld")
        stale_entry = outage.client().get(key)
        outage.pause()
        client.get(path)  # the writer's breaker opens, so its write skips Redis
        correct(client, writer, story)
        outage.resume()
        assert outage.client().get(key) == stale_entry
        deadline = time.monotonic() + 5
        seen = verdict(reader.get(path))
        while seen != "False" and time.monotonic() < deadline:
            time.sleep(0.1)
            seen = verdict(reader.get(path))
        assert seen == "False"
        # The sweep drops the record after Redis (and this process's own copy) has dropped the
        # documents, so a fast read can see the new verdict a moment before the record goes.
        while pending_invalidations(app) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert pending_invalidations(app) == 0
    finally:
        reader_app.extensions["factcheck.replay"].stop.set()
        with reader_app.app_context():
            db.engine.dispose()


# --- races -----------------------------------------------------------------------------------


def test_a_fill_that_read_before_a_write_is_not_stored(
    app: Flask,
    client: FlaskClient,
    writer: dict[str, str],
    story: Story,
    redis_server: RedisServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The stale-set race: a slow rebuild reads the old row, the write commits and invalidates,
    then the rebuild tries to store what it read."""
    path = story.paths["claimreview"]
    key = document_key(app, f"fc:{story.published_id}:ld")
    read_done, write_done = threading.Event(), threading.Event()
    main = threading.current_thread()
    render = claimreview.render

    def slow_render(check: Any, site_url: str) -> Any:
        document = render(check, site_url)
        if threading.current_thread() is not main:
            read_done.set()
            write_done.wait(10)
        return document

    monkeypatch.setattr(claimreview, "render", slow_render)
    slow: dict[str, Any] = {}
    reader = threading.Thread(target=lambda: slow.update(response=app.test_client().get(path)))
    reader.start()
    assert read_done.wait(10)
    correct(client, writer, story)
    write_done.set()
    reader.join(10)
    assert verdict(slow["response"]) == "Mostly false", "it read before the write"
    assert redis_server.client().get(key) is None, "and could not store what it read"
    assert verdict(client.get(path)) == "False"


def test_fifty_concurrent_misses_build_once(
    app: Flask, story: Story, redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = story.paths["claimreview"]
    key = document_key(app, f"fc:{story.published_id}:ld")
    app.test_client().get(path)
    redis_server.client().delete(key)
    with counting_queries(app) as one_build:
        expected = app.test_client().get(path)
    assert one_build, "a build reads the database"
    redis_server.client().delete(key)

    builds = []
    render = claimreview.render

    def counted_render(check: Any, site_url: str) -> Any:
        builds.append(check.id)
        return render(check, site_url)

    monkeypatch.setattr(claimreview, "render", counted_render)
    start = threading.Barrier(50)

    def get(_: int) -> Any:
        client = app.test_client()
        start.wait(10)
        return client.get(path)

    with counting_queries(app) as queries, ThreadPoolExecutor(50) as pool:
        responses = list(pool.map(get, range(50)))
    assert [r.status_code for r in responses] == [200] * 50
    assert {r.data for r in responses} == {expected.data}
    assert builds == [story.published_id]
    assert len(queries) == len(one_build)


# --- corrupt entries -------------------------------------------------------------------------

DAMAGE: dict[str, Callable[[bytes], bytes]] = {
    "garbage": lambda raw: b"\x00\xffnot a document",
    "empty": lambda raw: b"",
    "truncated": lambda raw: raw[: len(raw) // 2],
    "altered body": lambda raw: raw.replace(b"Mostly false", b"True"),
    "bad header": lambda raw: b"\xff" + raw,
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_corrupt_entries_are_misses(
    app: Flask, client: FlaskClient, story: Story, redis_server: RedisServer, damage: str
) -> None:
    path = story.paths["claimreview"]
    key = document_key(app, f"fc:{story.published_id}:ld")
    good = client.get(path)
    entry = redis_server.client().get(key)
    assert entry is not None
    redis_server.client().set(key, DAMAGE[damage](entry))
    again = client.get(path)
    assert again.status_code == 200
    assert again.data == good.data
    assert redis_server.client().get(key) == entry, "the rebuild replaced the damaged entry"


# --- in-process copies -----------------------------------------------------------------------


def test_a_hot_document_is_copied_in_process_and_dropped_when_another_process_writes(
    database_url: str,
    app: Flask,
    client: FlaskClient,
    writer: dict[str, str],
    story: Story,
    redis_server: RedisServer,
) -> None:
    """Redis tells every process which documents changed (client tracking); a write in one
    process reaches another's in-process copy within moments, and its own at once."""
    reader_app = make_app(database_url, redis_server.url)
    reader = reader_app.test_client()
    path = story.paths["claimreview"]
    try:
        reader.get(path)
        deadline = time.monotonic() + 5
        while in_app(reader_app, cache.stats)["local_hits"] == 0 and time.monotonic() < deadline:
            reader.get(path)  # the first hits come from Redis until tracking is on
            time.sleep(0.05)
        before = in_app(reader_app, cache.stats)["local_hits"]
        gets = redis_server.client().info("commandstats")["cmdstat_get"]["calls"]
        assert verdict(reader.get(path)) == "Mostly false"
        assert in_app(reader_app, cache.stats)["local_hits"] == before + 1
        assert redis_server.client().info("commandstats")["cmdstat_get"]["calls"] == gets

        deadline = time.monotonic() + 5
        while in_app(app, cache.stats)["local_hits"] == 0 and time.monotonic() < deadline:
            client.get(path)
            time.sleep(0.05)
        correct(client, writer, story)
        assert verdict(client.get(path)) == "False", "the writer's own copy goes with its write"
        deadline = time.monotonic() + 5
        seen = verdict(reader.get(path))
        while seen != "False" and time.monotonic() < deadline:
            time.sleep(0.05)
            seen = verdict(reader.get(path))
        assert seen == "False"
    finally:
        with reader_app.app_context():
            db.engine.dispose()


def test_in_process_copies_are_not_served_while_redis_is_paused(
    database_url: str,
    app: Flask,
    client: FlaskClient,
    writer: dict[str, str],
    story: Story,
    outage: RedisServer,
) -> None:
    """A paused Redis cannot tell anyone about a write: the copies go once its pings fail."""
    reader_app = make_app(database_url, outage.url)
    reader = reader_app.test_client()
    path = story.paths["claimreview"]
    try:
        deadline = time.monotonic() + 5
        while in_app(reader_app, cache.stats)["local_hits"] == 0 and time.monotonic() < deadline:
            reader.get(path)
            time.sleep(0.05)
        assert in_app(reader_app, cache.stats)["local_hits"] > 0
        outage.pause()
        client.get(path)  # the writer's breaker opens: its write cannot reach Redis
        correct(client, writer, story)
        deadline = time.monotonic() + 5
        seen = verdict(reader.get(path))
        while seen != "False" and time.monotonic() < deadline:
            time.sleep(0.05)
            seen = verdict(reader.get(path))
        assert seen == "False"
    finally:
        outage.resume()
        with reader_app.app_context():
            db.engine.dispose()
