"""The fast lane (web/fast_lane.py): public cached reads answered in front of Flask, with the same
bytes, headers, log line, metrics and rate-limit decision as the normal path."""

import json
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from factcheck import logs
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


def test_with_redis_down_reads_go_the_normal_way(
    app: Flask, paths: dict[str, str], database_url: str
) -> None:
    doomed = RedisServer()
    doomed.start()
    built = Lane(make_app(database_url, doomed.url, RATE_LIMIT_ENABLED=True))
    try:
        path = paths["claimreview"]
        assert built.get(path, fast=True).status_code == 200
        doomed.kill()
        answered = [built.get(path, True) for _ in range(3)]
        assert [response.status_code for response in answered] == [200, 200, 200]
        assert all(response.reached_flask for response in answered)
    finally:
        doomed.stop()
        with built.app.app_context():
            db.engine.dispose()


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
