"""The fast lane (web/fast_lane.py): public cached reads answered in front of Flask, with the same
bytes, headers, log line, metrics and rate-limit decision as the normal path."""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine, create_engine, text

from factcheck import logs
from factcheck.storage import cache
from factcheck.storage.db import db
from factcheck.web import read_budget

from .conftest import create_article, create_fact_check, make_app, new_organization, publish
from .redis_server import RedisServer

# Headers that differ between any two responses by design.
PER_RESPONSE = {"RateLimit-Reset"}


class Lane:
    """An app whose Flask hooks count the requests that reach them."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.client = app.test_client()
        self.reached_flask = 0

        def counted() -> None:
            self.reached_flask += 1

        # First, before any hook that may answer (a 400, a 429) on its own.
        app.before_request_funcs.setdefault(None, []).insert(0, counted)

    def get(self, path: str, fast: bool, **kwargs: Any) -> Any:
        self.app.extensions["factcheck.fast_lane"].enabled = fast
        before = self.reached_flask
        response = self.client.open(path, **kwargs)
        response.reached_flask = self.reached_flask > before
        return response


@pytest.fixture(params=[False, True], ids=["limits-off", "limits-on"])
def lane(
    request: pytest.FixtureRequest, app: Flask, database_url: str, redis_server: RedisServer
) -> Iterator[Lane]:
    built = make_app(database_url, redis_server.url, RATE_LIMIT_ENABLED=request.param)
    yield Lane(built)
    with built.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def paths(app: Flask) -> dict[str, str]:
    """Every route the fast lane serves, on a published fact-check, with a draft beside it."""
    writer = new_organization(app, "desk")
    client = app.test_client()
    article_id = create_article(client, writer).get_json()["id"]
    first = create_fact_check(client, writer, article_id)
    assert publish(client, writer, first).status_code == 200
    published = first.get_json()["id"]
    draft = create_fact_check(
        client, writer, article_id, url="https://desk.example.org/checks/draft"
    ).get_json()["id"]
    return {
        "fact-check": f"/api/v1/fact-checks/{published}",
        "claimreview": f"/api/v1/fact-checks/{published}/claimreview",
        "article": f"/api/v1/articles/{article_id}/claimreview",
        "organization": "/api/v1/organizations/desk",
        "draft": f"/api/v1/fact-checks/{draft}",
    }


def comparable(response: Any) -> tuple[int, bytes, dict[str, str]]:
    headers = {name: value for name, value in response.headers if name not in PER_RESPONSE}
    return response.status_code, response.get_data(), headers


CACHED = ["fact-check", "claimreview", "article", "organization"]


@pytest.mark.parametrize("route", CACHED)
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_the_fast_lane_answers_as_the_normal_path_does(
    lane: Lane, paths: dict[str, str], route: str, method: str
) -> None:
    path = paths[route]
    assert lane.get(path, fast=False).status_code == 200  # cached now
    trace = {"X-Request-ID": "compare-1"}
    # Each from an address of its own, so that both have the same budget left.
    normal = lane.get(path, False, method=method, headers=trace, environ_base=address(1))
    fast = lane.get(path, True, method=method, headers=trace, environ_base=address(2))
    assert normal.reached_flask and not fast.reached_flask
    assert comparable(fast) == comparable(normal)
    assert fast.headers["ETag"] and fast.headers["Cache-Control"].startswith("public")
    if "RateLimit-Limit" in normal.headers:
        assert fast.headers["RateLimit-Reset"].isdigit()

    revalidate = {**trace, "If-None-Match": normal.headers["ETag"]}
    normal_304 = lane.get(path, False, method=method, headers=revalidate, environ_base=address(3))
    fast_304 = lane.get(path, True, method=method, headers=revalidate, environ_base=address(4))
    assert normal_304.status_code == 304
    assert not fast_304.reached_flask
    assert comparable(fast_304) == comparable(normal_304)


def address(number: int) -> dict[str, str]:
    return {"REMOTE_ADDR": f"192.0.2.{number}"}


@pytest.mark.parametrize(
    ("headers", "query", "status"),
    [
        ({"Authorization": "Bearer fck_00_nonsense"}, "", 200),
        ({"If-Match": '"nope"'}, "", 412),
        ({"If-None-Match": "not-a-tag"}, "", 400),
        ({}, "?pageSize=1", 200),
    ],
    ids=["authorization", "if-match", "bad-if-none-match", "query"],
)
def test_anything_unusual_goes_the_normal_way(
    lane: Lane, paths: dict[str, str], headers: dict[str, str], query: str, status: int
) -> None:
    path = paths["claimreview"]
    lane.get(path, fast=False)
    response = lane.get(path + query, True, headers=headers)
    assert response.reached_flask
    assert response.status_code == status


def test_a_miss_and_a_draft_go_the_normal_way(lane: Lane, paths: dict[str, str]) -> None:
    first = lane.get(paths["claimreview"], True)
    assert first.status_code == 200 and first.reached_flask, "nothing cached yet"
    assert not lane.get(paths["claimreview"], True).reached_flask
    draft = lane.get(paths["draft"], True)
    assert draft.status_code == 404 and draft.reached_flask
    assert lane.get("/api/v1/fact-checks/999999", True).reached_flask


def test_both_paths_spend_one_budget(
    app: Flask, paths: dict[str, str], database_url: str, redis_server: RedisServer
) -> None:
    limited = Lane(
        make_app(
            database_url, redis_server.url, RATE_LIMIT_ENABLED=True, RATE_LIMIT_READS="3 per minute"
        )
    )
    path = paths["claimreview"]
    filled = limited.get(path, fast=False, environ_base=address(9))
    assert filled.headers["RateLimit-Remaining"] == "2"
    fast = limited.get(path, True, environ_base=address(9))
    assert not fast.reached_flask and fast.headers["RateLimit-Remaining"] == "1"
    normal = limited.get(path, False, environ_base=address(9))
    assert normal.headers["RateLimit-Remaining"] == "0"
    refused = limited.get(path, True, environ_base=address(9))
    assert refused.status_code == 429 and refused.reached_flask
    assert refused.mimetype == "application/problem+json"
    assert limited.get(path, True, environ_base=address(10)).status_code == 200
    with limited.app.app_context():
        db.engine.dispose()


def test_the_same_log_line_and_metrics(
    lane: Lane, paths: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    path = paths["fact-check"]
    lane.get(path, fast=False)
    logs.flush()
    capsys.readouterr()
    headers = {"X-Request-ID": "same-line", "User-Agent": "probe fck_0a_s3cret"}
    lane.get(path, False, headers=headers)
    lane.get(path, True, headers=headers)
    logs.flush()
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]
    normal, fast = [line for line in lines if line.get("event") == "request"]
    varying = {"time", "duration_ms"}
    assert {k: v for k, v in fast.items() if k not in varying} == {
        k: v for k, v in normal.items() if k not in varying
    }
    assert fast["route"] == "/api/v1/fact-checks/<id:fact_check_id>"
    assert fast["user_agent"] == "probe fck_0a_[redacted]"

    scraped = lane.client.get("/metrics").get_data(as_text=True)
    count = (
        'factcheck_http_request_duration_seconds_count{method="GET",'
        'route="/api/v1/fact-checks/<id:fact_check_id>",status="200"} 3.0'
    )
    assert count in scraped


@contextmanager
def redis_down_lane(database_url: str, limits: bool, **overrides: Any) -> Iterator["DownLane"]:
    """An app on a redis-server of its own, which the test stops with `take_redis_down`."""
    doomed = RedisServer()
    doomed.start()
    built = DownLane(
        make_app(database_url, doomed.url, RATE_LIMIT_ENABLED=limits, **overrides), doomed
    )
    try:
        yield built
    finally:
        doomed.stop()
        with built.app.app_context():
            db.session.remove()
            db.engine.dispose()


class DownLane(Lane):
    def __init__(self, app: Flask, redis: RedisServer) -> None:
        super().__init__(app)
        self.redis = redis

    def take_redis_down(self, probe_path: str) -> None:
        """Stop its redis-server; the cache's breaker opens (as at any request's first failure)
        and one normal read has the limiter find its storage dead and count in memory."""
        self.redis.kill()
        with self.app.app_context():
            assert not cache.ping()
        assert self.get(probe_path, False, environ_base=address(99)).status_code == 200


@pytest.fixture(params=[False, True], ids=["limits-off", "limits-on"])
def down_lane(request: pytest.FixtureRequest, app: Flask, database_url: str) -> Iterator[DownLane]:
    with redis_down_lane(database_url, request.param) as built:
        yield built


STORED = ["fact-check", "claimreview"]


@pytest.mark.parametrize("route", STORED)
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_with_redis_down_the_lane_answers_from_the_stored_document(
    down_lane: DownLane, paths: dict[str, str], route: str, method: str
) -> None:
    path = paths[route]
    down_lane.take_redis_down(paths["organization"])
    trace = {"X-Request-ID": "compare-down"}
    normal = down_lane.get(path, False, method=method, headers=trace, environ_base=address(1))
    fast = down_lane.get(path, True, method=method, headers=trace, environ_base=address(2))
    assert normal.status_code == 200
    assert normal.reached_flask and not fast.reached_flask
    assert comparable(fast) == comparable(normal)

    revalidate = {**trace, "If-None-Match": normal.headers["ETag"]}
    normal_304 = down_lane.get(
        path, False, method=method, headers=revalidate, environ_base=address(3)
    )
    fast_304 = down_lane.get(path, True, method=method, headers=revalidate, environ_base=address(4))
    assert normal_304.status_code == 304
    assert not fast_304.reached_flask
    assert comparable(fast_304) == comparable(normal_304)


def test_with_redis_down_what_is_not_stored_goes_the_normal_way(
    down_lane: DownLane, paths: dict[str, str]
) -> None:
    down_lane.take_redis_down(paths["organization"])
    for route in ("article", "organization"):
        answered = down_lane.get(paths[route], True)
        assert answered.status_code == 200 and answered.reached_flask, route
    draft = down_lane.get(paths["draft"], True)
    assert draft.status_code == 404 and draft.reached_flask
    assert down_lane.get("/api/v1/fact-checks/999999", True).reached_flask


def test_with_redis_down_the_budget_is_spent_in_the_limiters_memory(
    app: Flask, paths: dict[str, str], database_url: str
) -> None:
    with redis_down_lane(database_url, True, RATE_LIMIT_READS="3 per minute") as limited:
        limited.take_redis_down(paths["organization"])
        path = paths["claimreview"]
        fast = limited.get(path, True, environ_base=address(9))
        assert not fast.reached_flask and fast.headers["RateLimit-Remaining"] == "2"
        normal = limited.get(path, False, environ_base=address(9))
        assert normal.headers["RateLimit-Remaining"] == "1"
        assert limited.get(path, True, environ_base=address(9)).headers["RateLimit-Remaining"] == (
            "0"
        )
        refused = limited.get(path, True, environ_base=address(9))
        assert refused.status_code == 429 and refused.reached_flask
        assert limited.get(path, True, environ_base=address(10)).status_code == 200


def test_a_retracted_claimreview_is_410_and_never_served_stale(
    app: Flask, database_url: str
) -> None:
    with redis_down_lane(database_url, False) as lane:
        writer = new_organization(app, "desk")
        article_id = create_article(lane.client, writer).get_json()["id"]
        created = create_fact_check(lane.client, writer, article_id)
        assert publish(lane.client, writer, created).status_code == 200
        fact_check = f"/api/v1/fact-checks/{created.get_json()['id']}"
        claimreview = f"{fact_check}/claimreview"
        lane.get(claimreview, fast=False)
        assert not lane.get(claimreview, True).reached_flask, "cached"
        retracted = lane.client.post(
            f"{fact_check}/retract",
            json={"note": "The quote was misattributed."},
            headers={**writer, "If-Match": "*"},
        )
        assert retracted.status_code == 200, retracted.get_json()
        for redis in ("up", "down"):
            if redis == "down":
                lane.take_redis_down(fact_check)
            fast = lane.get(claimreview, True, environ_base=address(1))
            normal = lane.get(claimreview, False, environ_base=address(1))
            assert fast.status_code == 410 and fast.reached_flask, redis
            assert comparable(fast)[:2] == comparable(normal)[:2]
            shown = lane.get(fact_check, True)
            assert shown.status_code == 200 and b"misattributed" in shown.get_data()
        assert not shown.reached_flask, "the fact-check itself is stored"


def test_with_redis_down_a_database_fault_goes_the_normal_way_to_its_503(
    app: Flask, paths: dict[str, str], database_url: str
) -> None:
    budgets = {"DATABASE_LOCK_TIMEOUT": 1.0, "DATABASE_STATEMENT_TIMEOUT": 1.0}
    with redis_down_lane(database_url, False, **budgets) as lane:
        lane.take_redis_down(paths["organization"])
        with lane.app.app_context():
            holder = create_engine(db.engine.url)
        try:
            with database_fault(holder):
                answered = lane.get(paths["claimreview"], True)
            assert answered.reached_flask
            assert answered.status_code == 503, answered.get_data(as_text=True)
            assert answered.mimetype == "application/problem+json"
            # After the fault the lane serves again: nothing was left broken in its pool.
            assert not lane.get(paths["claimreview"], True).reached_flask
        finally:
            holder.dispose()


@contextmanager
def database_fault(holder: Engine) -> Iterator[None]:
    """The stored documents cannot be read: on PostgreSQL another transaction holds the table's
    lock past the lock timeout; on SQLite (whose readers never wait) the table is away."""
    with holder.connect() as connection:
        if holder.dialect.name == "postgresql":
            connection.execute(text("LOCK TABLE published_documents IN ACCESS EXCLUSIVE MODE"))
            try:
                yield
            finally:
                connection.rollback()
            return
        connection.execute(text("ALTER TABLE published_documents RENAME TO documents_away"))
        connection.commit()
        try:
            yield
        finally:
            connection.execute(text("ALTER TABLE documents_away RENAME TO published_documents"))
            connection.commit()


def test_fast_reads_are_counted_in_process_and_added_to_redis_in_one_trip(
    app: Flask,
    paths: dict[str, str],
    database_url: str,
    redis_server: RedisServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # No background sync during the test: it is called below, once.
    monkeypatch.setattr(read_budget, "SYNC_EVERY", 3600.0)
    limited = Lane(
        make_app(
            database_url, redis_server.url, RATE_LIMIT_ENABLED=True, RATE_LIMIT_READS="50/minute"
        )
    )
    path = paths["claimreview"]
    try:
        first = limited.get(path, fast=False, environ_base=address(20))
        assert first.headers["RateLimit-Remaining"] == "49"  # the window is known from here
        before = client_commands(redis_server)
        remaining = [
            limited.get(path, True, environ_base=address(20)).headers["RateLimit-Remaining"]
            for _ in range(10)
        ]
        assert remaining == [str(left) for left in range(48, 38, -1)]
        assert client_commands(redis_server) == before, "fast reads went to Redis"

        storage = limited.app.extensions["factcheck.rate_limits"]["limiter"].storage
        storage.budget.sync()
        after = client_commands(redis_server)
        assert after["evalsha"] - before["evalsha"] == 1
        (key,) = redis_server.client().keys("*limits*192.0.2.20*")
        assert redis_server.client().get(key) == b"11"
        # The normal path counts on from there, and so does the fast lane.
        assert (
            limited.get(path, False, environ_base=address(20)).headers["RateLimit-Remaining"]
            == "38"
        )
        assert (
            limited.get(path, True, environ_base=address(20)).headers["RateLimit-Remaining"] == "37"
        )
    finally:
        with limited.app.app_context():
            db.engine.dispose()


def client_commands(redis_server: RedisServer) -> dict[str, int]:
    """Calls of what the limiter could send (it only sends EVALSHA); the cache's GETs of the
    document, until its in-process copy is live, are not the limiter's."""
    stats = redis_server.client().info("commandstats")
    return {
        name: int(stats.get(f"cmdstat_{name}", {"calls": 0})["calls"])
        for name in ("evalsha", "eval", "ttl", "pttl", "incrby")
    }
