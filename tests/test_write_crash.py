"""A server worker SIGKILLed between a write's commit and its answer (SPEC §4, Idempotency): the
retry with the same Idempotency-Key gets the whole first answer, and nothing exists twice.

The kill is web/faults.py's, enabled by FAULT_KILL_AFTER_COMMIT for this server only; it strikes
right after the commit of the transaction that wrote the table the request names.
"""

import http.client
import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from factcheck.settings import SettingsError, from_env
from factcheck.web.faults import HEADER

from .conftest import (
    ARTICLE,
    FACT_CHECK,
    key_of_new_organization,
)
from .production_server import ProductionServer, Response
from .redis_server import RedisServer


@pytest.fixture
def server(
    own_database: str, redis_server: RedisServer
) -> Iterator[tuple[ProductionServer, dict[str, str]]]:
    redis_server.client().flushdb()
    auth = key_of_new_organization(own_database)
    running = ProductionServer(
        {
            "DATABASE_URL": own_database,
            "REDIS_URL": redis_server.url,
            "SITE_URL": "http://factcheck.test",
            "RATE_LIMIT_ENABLED": "off",
            "FAULT_KILL_AFTER_COMMIT": "on",
            "FAULT_INJECTION_ALLOWED": "on",
        },
        # granian's workers each listen (SO_REUSEPORT): while the one that died is respawned, the
        # other answers the retry. A lone worker's port refuses connections until it is back.
        workers=2,
    )
    running.start()
    yield running, auth
    running.stop()


def killed(
    server: ProductionServer, method: str, path: str, headers: dict[str, str], body: Any
) -> None:
    """Send the request with the fault header; the worker must die before answering."""
    try:
        answer = server.request(method, path, headers, body)
    except (http.client.HTTPException, OSError):
        return
    pytest.fail(f"the worker answered {answer.status} instead of dying: {answer.body[:200]!r}")


def retried(
    server: ProductionServer, method: str, path: str, headers: dict[str, str], body: Any
) -> Response:
    """The client's retry after a lost answer: the same request, the same key, no fault. A
    connection reset before any answer is another lost answer, retried the same way: the dying
    worker's listening socket may take a new connection in the moment before the kernel closes
    it (granian's workers each listen; no master holds the port)."""
    for _ in range(50):
        try:
            first = server.request(method, path, headers, body)
            break
        except ConnectionError:
            time.sleep(0.05)
    else:
        pytest.fail("no retry was answered")
    assert first.status in {200, 201}, f"the retry got {first.status}: {first.body[:300]!r}"
    again = server.request(method, path, headers, body)
    # Whatever the first retry got is the answer from now on, byte for byte.
    assert (again.status, again.body) == (first.status, first.body)
    assert again.headers.get("Idempotent-Replayed") == "true"
    for name in ("Location", "ETag", "Content-Type"):
        assert again.headers.get(name) == first.headers.get(name)
    return first


def test_a_create_killed_after_its_commit_is_answered_once_by_the_retry(
    server: tuple[ProductionServer, dict[str, str]],
) -> None:
    running, auth = server
    article = running.request("POST", "/api/v1/articles", auth, ARTICLE)
    assert article.status == 201, article.body
    path = f"/api/v1/articles/{article.json()['id']}/fact-checks"
    headers = {**auth, "Idempotency-Key": "crash-create-1"}

    killed(running, "POST", path, {**headers, HEADER: "fact_checks"}, FACT_CHECK)
    answer = retried(running, "POST", path, headers, FACT_CHECK)

    assert answer.status == 201, answer.body
    listed = running.request("GET", path, auth).json()
    assert len(listed) == 1, "the crashed create and its retry made more than one fact-check"
    stored = running.request("GET", answer.headers["Location"], auth)
    assert stored.json() == answer.json()
    assert stored.headers["ETag"] == answer.headers["ETag"]


def test_a_publish_killed_after_its_commit_is_answered_once_by_the_retry(
    server: tuple[ProductionServer, dict[str, str]],
) -> None:
    running, auth = server
    article = running.request("POST", "/api/v1/articles", auth, ARTICLE).json()
    created = running.request(
        "POST", f"/api/v1/articles/{article['id']}/fact-checks", auth, FACT_CHECK
    )
    assert created.status == 201, created.body
    path = f"/api/v1/fact-checks/{created.json()['id']}/publish"
    headers = {**auth, "If-Match": created.headers["ETag"], "Idempotency-Key": "crash-publish-1"}

    killed(running, "POST", path, {**headers, HEADER: "fact_checks"}, None)
    answer = retried(running, "POST", path, headers, None)

    assert answer.status == 200, answer.body
    assert answer.json()["status"] == "published"
    history = running.request("GET", f"/api/v1/fact-checks/{created.json()['id']}/revisions").json()
    assert [entry["action"] for entry in history].count("publish") == 1


def test_the_fault_is_refused_outside_tests() -> None:
    with pytest.raises(SettingsError, match="FAULT_KILL_AFTER_COMMIT is a test fault"):
        from_env({"FAULT_KILL_AFTER_COMMIT": "on"})
    assert from_env({"FAULT_KILL_AFTER_COMMIT": "on", "FAULT_INJECTION_ALLOWED": "on"})


def test_the_header_alone_kills_nothing(client: FlaskClient, writer: dict[str, str]) -> None:
    # This test's own process would die if it did.
    created = client.post("/api/v1/articles", json=ARTICLE, headers={**writer, HEADER: "articles"})
    assert created.status_code == 201
