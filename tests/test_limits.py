"""Rate limits (SPEC §4): writes per API key, reads per client address, counted in a real Redis,
in process memory when Redis is down; a 429 is problem+json with Retry-After."""

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask

from factcheck import create_app
from factcheck.settings import SettingsError, from_env
from factcheck.storage import cache
from factcheck.storage.db import db

from .conftest import (
    ARTICLE,
    _create_postgres_database,
    _drop_postgres_database,
    _migrate,
    make_app,
    new_organization,
)
from .redis_server import RedisServer

LimitedApp = Callable[..., Flask]


@pytest.fixture
def limited_app(app: Flask, database_url: str, redis_server: RedisServer) -> Iterator[LimitedApp]:
    """Apps with rate limits on, on the test database (emptied by `app`) and a Redis of choice."""
    made: list[Flask] = []

    def build(redis_url: str | None = None, **overrides: Any) -> Flask:
        limited = make_app(
            database_url,
            redis_server.url if redis_url is None else redis_url,
            **{"RATE_LIMIT_ENABLED": True, **overrides},
        )
        made.append(limited)
        return limited

    yield build
    for limited in made:
        with limited.app_context():
            db.session.remove()
            db.engine.dispose()


def post_article(app: Flask, headers: dict[str, str], number: int) -> Any:
    return app.test_client().post(
        "/api/v1/articles",
        json={**ARTICLE, "url": f"https://news.example.com/{number}"},
        headers=headers,
    )


def assert_429(response: Any) -> dict[str, Any]:
    assert response.status_code == 429, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body: dict[str, Any] = response.get_json()
    assert body["status"] == 429
    assert body["type"] == "urn:factcheck:problem:rate-limited"
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert response.headers["RateLimit-Remaining"] == "0"
    return body


def test_writes_are_limited_per_api_key_in_redis(
    limited_app: LimitedApp, redis_server: RedisServer
) -> None:
    app = limited_app(RATE_LIMIT_WRITES="3 per minute")
    desk, rival = new_organization(app, "desk"), new_organization(app, "rival")
    statuses = [post_article(app, desk, number).status_code for number in range(3)]
    assert statuses == [201, 201, 201]
    body = assert_429(post_article(app, desk, 3))
    assert "3 per 1 minute" in body["detail"]
    spelled_otherwise = {"Authorization": desk["Authorization"].replace("Bearer ", "bearer  ")}
    assert_429(post_article(app, spelled_otherwise, 4))
    assert post_article(app, rival, 0).status_code == 201
    # The counters are in the shared Redis, not in this process, under the cache's namespace
    # (REDIS_PREFIX and the database's identity), one per verified key.
    with app.app_context():
        namespace = cache.namespace()
    assert namespace is not None and namespace.startswith("factcheck:")
    keys = [key.decode() for key in redis_server.client().keys("*")]
    counters = [key for key in keys if key.startswith(namespace + "limits:") and "/key:" in key]
    assert len(counters) == 2, keys


def test_all_write_routes_share_one_budget_and_reads_are_not_counted(
    limited_app: LimitedApp,
) -> None:
    app = limited_app(RATE_LIMIT_WRITES="2 per minute")
    desk = new_organization(app, "desk")
    created = post_article(app, desk, 0)
    client = app.test_client()
    for _ in range(5):
        assert client.get(created.headers["Location"], headers=desk).status_code == 200
    patched = client.patch(
        created.headers["Location"], json={"author": "A"}, headers={**desk, "If-Match": "*"}
    )
    assert patched.status_code == 200
    assert patched.headers["RateLimit-Remaining"] == "0"
    assert_429(client.delete(created.headers["Location"], headers={**desk, "If-Match": "*"}))


def test_a_key_with_the_same_public_prefix_cannot_spend_its_budget(
    limited_app: LimitedApp,
) -> None:
    app = limited_app(RATE_LIMIT_WRITES="2 per minute")
    desk = new_organization(app, "desk")
    forged = {"Authorization": desk["Authorization"][:-6] + "AAAAAA"}
    for number in range(3):
        assert post_article(app, forged, number).status_code in {401, 429}
    assert post_article(app, desk, 0).status_code == 201


def test_reads_are_limited_per_client_address(limited_app: LimitedApp) -> None:
    app = limited_app(RATE_LIMIT_READS="2 per minute")
    client = app.test_client()

    def read(address: str) -> Any:
        return client.get("/api/v1/articles", environ_base={"REMOTE_ADDR": address})

    first = read("192.0.2.1")
    assert first.status_code == 200
    assert first.headers["RateLimit-Limit"] == "2"
    assert first.headers["RateLimit-Remaining"] == "1"
    assert "Retry-After" not in first.headers
    assert read("192.0.2.1").status_code == 200
    assert_429(read("192.0.2.1"))
    assert read("192.0.2.2").status_code == 200
    # Writes from the exhausted address are counted per key, not per address.
    desk = new_organization(app, "desk")
    response = client.post(
        "/api/v1/articles", json=ARTICLE, headers=desk, environ_base={"REMOTE_ADDR": "192.0.2.1"}
    )
    assert response.status_code == 201


def client_commands(redis_server: RedisServer) -> dict[str, int]:
    """How many times clients called each command (INFO commandstats; a script's own calls are
    counted under their names, which the limiter's never are: it calls only EVALSHA)."""
    stats = redis_server.client().info("commandstats")
    return {name.removeprefix("cmdstat_"): int(stat["calls"]) for name, stat in stats.items()}


def test_a_limited_request_costs_one_redis_round_trip(
    limited_app: LimitedApp, redis_server: RedisServer
) -> None:
    app = limited_app(RATE_LIMIT_READS="5 per minute")
    client = app.test_client()
    assert client.get("/api/v1/articles").status_code == 200  # scripts loaded, namespace read
    before = client_commands(redis_server)
    response = client.get("/api/v1/articles")
    after = client_commands(redis_server)
    assert response.status_code == 200
    # The headers come from the hit's own answer: no GET or TTL of the counter after it.
    assert (response.headers["RateLimit-Limit"], response.headers["RateLimit-Remaining"]) == (
        "5",
        "3",
    )
    assert 0 < int(response.headers["RateLimit-Reset"]) <= 60
    spent = {
        name: after.get(name, 0) - before.get(name, 0)
        for name in ("evalsha", "eval", "get", "ttl", "pttl", "incrby", "script|load")
    }
    assert spent["evalsha"] + spent["eval"] == 1, spent
    assert spent["get"] == spent["ttl"] == 0, spent


def test_with_redis_down_limits_fall_back_to_memory(limited_app: LimitedApp) -> None:
    doomed = RedisServer()
    doomed.start()
    app = limited_app(doomed.url, RATE_LIMIT_READS="3 per minute")
    client = app.test_client()
    assert client.get("/api/v1/articles").status_code == 200
    doomed.kill()
    # Requests keep working, and keep being counted: in this process's memory now, from zero.
    statuses = [client.get("/api/v1/articles").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_with_redis_paused_requests_still_succeed(limited_app: LimitedApp) -> None:
    frozen = RedisServer()
    frozen.start()
    try:
        app = limited_app(frozen.url, RATE_LIMIT_WRITES="5 per minute")
        desk = new_organization(app, "desk")
        frozen.pause()
        statuses = [post_article(app, desk, number).status_code for number in range(6)]
        assert statuses == [201] * 5 + [429]
    finally:
        frozen.stop()


def test_limits_can_be_turned_off(limited_app: LimitedApp) -> None:
    app = limited_app(RATE_LIMIT_ENABLED=False, RATE_LIMIT_READS="1 per minute")
    client = app.test_client()
    responses = [client.get("/api/v1/articles") for _ in range(3)]
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert "RateLimit-Limit" not in responses[0].headers


def test_made_up_keys_are_failed_authentications_counted_per_address(
    limited_app: LimitedApp,
) -> None:
    app = limited_app(RATE_LIMIT_AUTH_FAILURES="3 per minute", RATE_LIMIT_WRITES="100 per minute")
    desk = new_organization(app, "desk")
    client = app.test_client()
    guesser = {"REMOTE_ADDR": "192.0.2.7"}

    def write(headers: dict[str, str], address: dict[str, str]) -> Any:
        return client.post("/api/v1/articles", json=ARTICLE, headers=headers, environ_base=address)

    # Each guess is another token: keyed on the raw token, none would ever be limited.
    guesses = [{"Authorization": f"Bearer fck_{n:012x}_{'x' * 43}"} for n in range(5)]
    statuses = [write(guess, guesser).status_code for guess in guesses[:3]]
    assert statuses == [401, 401, 401]
    body = assert_429(write(guesses[3], guesser))
    assert "failed authentications" in body["detail"]
    # A failed read counts too; and past the budget, presenting any key from there is refused
    # before it is looked at.
    assert_429(client.get("/api/v1/fact-checks", headers=guesses[4], environ_base=guesser))
    assert_429(write(desk, guesser))
    # Another address, and requests that present no key, are not affected.
    assert write(desk, {"REMOTE_ADDR": "192.0.2.8"}).status_code == 201
    assert client.get("/api/v1/articles", environ_base=guesser).status_code == 200


def test_failed_reads_count_too(limited_app: LimitedApp) -> None:
    app = limited_app(RATE_LIMIT_AUTH_FAILURES="2 per minute")
    client = app.test_client()
    bad = {"Authorization": "Bearer fck_000000000000_" + "x" * 43}
    statuses = [client.get("/api/v1/fact-checks", headers=bad).status_code for _ in range(2)]
    assert statuses == [401, 401]
    assert_429(client.get("/api/v1/fact-checks", headers=bad))


def test_the_write_budget_is_the_verified_keys(limited_app: LimitedApp) -> None:
    app = limited_app(RATE_LIMIT_WRITES="2 per minute", RATE_LIMIT_AUTH_FAILURES="100 per minute")
    desk = new_organization(app, "desk")
    # Failed authentications spend nothing of the key's budget, even one with its prefix.
    forged = {"Authorization": desk["Authorization"][:-6] + "AAAAAA"}
    assert [post_article(app, forged, n).status_code for n in range(4)] == [401] * 4
    assert [post_article(app, desk, n).status_code for n in range(2)] == [201, 201]
    assert_429(post_article(app, desk, 2))


@pytest.mark.parametrize(
    ("setting", "path"),
    [
        ("RATE_LIMIT_SEARCH", "/api/v1/claims:search?query=inflation"),
        ("RATE_LIMIT_SEARCH", "/api/v1/fact-checks/match?text=Inflation%20halved"),
        ("RATE_LIMIT_FEED", "/api/v1/feed"),
        ("RATE_LIMIT_OEMBED", "/oembed?format=json&url=http://factcheck.test/fact-checks/1"),
    ],
)
def test_public_reads_that_query_are_limited_per_address(
    limited_app: LimitedApp, setting: str, path: str
) -> None:
    app = limited_app(**{setting: "2 per minute"})
    client = app.test_client()

    def read(address: str) -> Any:
        return client.get(path, environ_base={"REMOTE_ADDR": address})

    first = read("192.0.2.1")
    assert first.status_code in {200, 404}  # oEmbed of a fact-check this test did not make
    assert first.headers["RateLimit-Limit"] == "2"
    assert read("192.0.2.1").status_code in {200, 404}
    assert_429(read("192.0.2.1"))
    assert read("192.0.2.2").status_code in {200, 404}


def test_pages_are_left_to_the_edge_cache(limited_app: LimitedApp) -> None:
    app = limited_app(RATE_LIMIT_OEMBED="1 per minute", RATE_LIMIT_READS="1 per minute")
    client = app.test_client()
    statuses = {client.get("/fact-checks/1").status_code for _ in range(3)}
    assert statuses == {404}
    assert "RateLimit-Limit" not in client.get("/fact-checks/1").headers


def test_deployments_sharing_a_redis_do_not_share_counters(
    limited_app: LimitedApp, tmp_path: Any
) -> None:
    base = os.environ.get("TEST_DATABASE_URL", "")
    other = (
        _create_postgres_database(base)
        if base.startswith("postgres")
        else f"sqlite:///{tmp_path / 'other.sqlite3'}"
    )
    try:
        _migrate(other)
        first = limited_app(RATE_LIMIT_READS="2 per minute")
        second = limited_app(RATE_LIMIT_READS="2 per minute", DATABASE_URL=other)
        for _ in range(2):
            assert first.test_client().get("/api/v1/articles").status_code == 200
        assert_429(first.test_client().get("/api/v1/articles"))
        # Same address, same REDIS_PREFIX, same redis-server: another database's deployment.
        assert second.test_client().get("/api/v1/articles").status_code == 200
    finally:
        if base.startswith("postgres"):
            _drop_postgres_database(base, other)  # FORCE: the app's pool is closed after


def test_limits_come_from_the_environment() -> None:
    settings = from_env({"RATE_LIMIT_WRITES": "10/second;1000/day", "RATE_LIMIT_ENABLED": "no"})
    assert settings["RATE_LIMIT_WRITES"] == "10/second;1000/day"
    assert settings["RATE_LIMIT_READS"] == "600 per minute"
    assert settings["RATE_LIMIT_ENABLED"] is False


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("RATE_LIMIT_WRITES", "lots"),
        ("RATE_LIMIT_READS", "5 per fortnight"),
        ("RATE_LIMIT_ENABLED", "maybe"),
        ("RATE_LIMIT_SEARCH", "often"),
        ("RATE_LIMIT_AUTH_FAILURES", "3 per eon"),
    ],
)
def test_bad_limit_settings_stop_start_up(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        from_env({name: value})
    with pytest.raises(SettingsError, match=name):
        create_app({"DATABASE_URL": "sqlite:///unused.sqlite3", name: value})
