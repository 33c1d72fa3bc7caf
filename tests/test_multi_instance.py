"""Two instances of the service, as `docker compose up --scale app=2` would run them: one
PostgreSQL database, one Redis. What one writes, the other never serves stale."""

import os
from collections.abc import Iterator

import pytest

from factcheck.core import keys, seed
from factcheck.storage import store
from factcheck.storage.db import db

from .conftest import (
    SEEDS,
    _create_postgres_database,
    _drop_postgres_database,
    _migrate,
    make_app,
)
from .production_server import ProductionServer
from .redis_server import RedisServer

BASE = os.environ.get("TEST_DATABASE_URL", "")

pytestmark = pytest.mark.skipif(
    not BASE.startswith("postgres"),
    reason="two instances share a PostgreSQL database (TEST_DATABASE_URL)",
)


@pytest.fixture
def shared_database() -> Iterator[str]:
    """A database of this test's own: the instances are separate processes that commit."""
    url = _create_postgres_database(BASE)
    try:
        _migrate(url)
        yield url
    finally:
        _drop_postgres_database(BASE, url)


@pytest.fixture
def instances(
    shared_database: str, redis_server: RedisServer
) -> Iterator[tuple[ProductionServer, ProductionServer, str]]:
    yield from _serve_pair(shared_database, redis_server)


@pytest.fixture
def limited_instances(
    shared_database: str, redis_server: RedisServer
) -> Iterator[tuple[ProductionServer, ProductionServer, str]]:
    yield from _serve_pair(shared_database, redis_server, RATE_LIMIT_WRITES="4 per minute")


def _serve_pair(
    shared_database: str, redis_server: RedisServer, **extra_env: str
) -> Iterator[tuple[ProductionServer, ProductionServer, str]]:
    redis_server.client().flushdb()
    app = make_app(shared_database, redis_server.url)
    with app.app_context():
        list(seed.load_directory(SEEDS))
        organization = store.organization_by_slug("example-desk")
        assert organization is not None
        token = keys.issue(organization.id, "multi-instance", frozenset({"write", "publish"}))
        db.session.remove()
        db.engine.dispose()
    env = {
        "DATABASE_URL": shared_database,
        "REDIS_URL": redis_server.url,
        "SITE_URL": "http://factcheck.test",
        **extra_env,
    }
    first, second = ProductionServer(env), ProductionServer(env)
    first.start()
    try:
        second.start()
        try:
            yield first, second, token
        finally:
            second.stop()
    finally:
        first.stop()


def test_a_write_on_one_instance_is_never_served_stale_by_the_other(
    instances: tuple[ProductionServer, ProductionServer, str], redis_server: RedisServer
) -> None:
    a, b, token = instances
    auth_header = {"Authorization": f"Bearer {token}"}
    listed = a.request("GET", "/api/v1/fact-checks?status=published&pageSize=3").json()
    targets = [item["id"] for item in listed]
    assert len(targets) == 3

    for round_number in range(6):
        writer, reader = (a, b) if round_number % 2 == 0 else (b, a)
        fact_check_id = targets[round_number % len(targets)]
        document = f"/api/v1/fact-checks/{fact_check_id}/claimreview"

        # Both instances have served the document, so Redis holds it: a stale copy is possible.
        before = reader.request("GET", document)
        assert writer.request("GET", document).body == before.body
        assert redis_server.client().keys(f"*doc:fc:{fact_check_id}:ld")

        current = writer.request("GET", f"/api/v1/fact-checks/{fact_check_id}", auth_header)
        review = f"Round {round_number}: re-checked against the newest figures."
        changed = writer.request(
            "PATCH",
            f"/api/v1/fact-checks/{fact_check_id}",
            {**auth_header, "If-Match": current.headers["ETag"]},
            {"reviewBody": review},
        )
        assert changed.status == 200, changed.body

        after = reader.request("GET", document)
        assert after.status == 200
        assert after.json()["reviewBody"] == review
        assert after.headers["ETag"] != before.headers["ETag"]
        # A conditional GET with the old ETag gets the new document, not a 304.
        revalidated = reader.request("GET", document, {"If-None-Match": before.headers["ETag"]})
        assert revalidated.status == 200

    # A correction of the verdict through one instance reaches the other's article feed too.
    fact_check_id = targets[0]
    current = b.request("GET", f"/api/v1/fact-checks/{fact_check_id}", auth_header)
    feed = f"/api/v1/articles/{current.json()['articleId']}/claimreview"
    a.request("GET", feed)
    rating = {**current.json()["rating"], "ratingExplanation": "Corrected explanation."}
    corrected = b.request(
        "PATCH",
        f"/api/v1/fact-checks/{fact_check_id}",
        {**auth_header, "If-Match": current.headers["ETag"]},
        {"rating": rating, "correction": "A later release changed the figures."},
    )
    assert corrected.status == 200, corrected.body
    reviews = {review["url"]: review for review in a.request("GET", feed).json()}
    shown = reviews[current.json()["url"]]
    assert shown["reviewRating"]["ratingExplanation"] == "Corrected explanation."


def test_the_write_rate_limit_is_shared_by_both_instances(
    limited_instances: tuple[ProductionServer, ProductionServer, str],
) -> None:
    """Counters live in Redis, so alternating instances does not double a key's budget."""
    a, b, token = limited_instances
    headers = {"Authorization": f"Bearer {token}"}
    body = {"headline": "Rate-limited article", "url": None}
    statuses = [
        (a if number % 2 == 0 else b).request("POST", "/api/v1/articles", headers, body).status
        for number in range(6)
    ]
    assert statuses == [201, 201, 201, 201, 429, 429]
