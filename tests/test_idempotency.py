"""Idempotency-Key on POST (SPEC §4): retries replay the first answer, never act twice."""

import json
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.serving import make_server

from factcheck.core import articles, keys
from factcheck.core.organizations import organization as find_organization
from factcheck.storage import records, store
from factcheck.storage.db import db
from factcheck.storage.models import Article, FactCheck, IdempotencyRecord

from .conftest import ARTICLE, create_article, create_fact_check, new_organization


def count(app: Flask, model: Any) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def post_article(
    client: FlaskClient, headers: dict[str, str], key: str, body: dict[str, Any] | None = None
) -> Any:
    return client.post(
        "/api/v1/articles", json=body or ARTICLE, headers={**headers, "Idempotency-Key": key}
    )


def test_a_retry_replays_status_headers_and_body_byte_for_byte(
    app: Flask, client: FlaskClient, writer: dict[str, str]
) -> None:
    first = post_article(client, writer, "retry-1")
    again = post_article(client, writer, "retry-1")
    assert first.status_code == again.status_code == 201
    assert again.get_data() == first.get_data()
    for header in ("Location", "ETag", "Content-Type"):
        assert again.headers[header] == first.headers[header]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert count(app, Article) == 1


def test_the_same_key_with_another_body_is_422(
    app: Flask, client: FlaskClient, writer: dict[str, str]
) -> None:
    post_article(client, writer, "reused")
    other = post_article(client, writer, "reused", {**ARTICLE, "headline": "Another story"})
    assert other.status_code == 422
    assert other.mimetype == "application/problem+json"
    assert count(app, Article) == 1


def test_the_same_key_on_another_route_is_422(client: FlaskClient, writer: dict[str, str]) -> None:
    article = post_article(client, writer, "route").get_json()
    response = client.post(
        f"/api/v1/articles/{article['id']}/fact-checks",
        json=ARTICLE,
        headers={**writer, "Idempotency-Key": "route"},
    )
    assert response.status_code == 422


def test_keys_are_scoped_per_api_key(
    app: Flask, client: FlaskClient, writer: dict[str, str]
) -> None:
    with app.app_context():
        organization = find_organization("desk")

        second_key = {
            "Authorization": f"Bearer {keys.issue(organization.id, 'b', frozenset({'write'}))}"
        }
    rival = new_organization(app, "rival")
    first = post_article(client, writer, "shared-key")
    # Same organization, other key: its own request, not a replay (and the URL is taken: 409).
    assert post_article(client, second_key, "shared-key").status_code == 409
    other_org = post_article(client, rival, "shared-key")
    assert other_org.status_code == 201
    assert other_org.get_json()["id"] != first.get_json()["id"]
    assert "Idempotent-Replayed" not in other_org.headers


@pytest.mark.parametrize("key", ["", "with space", "tab\there", "é", "x" * 256])
def test_malformed_keys_are_400(
    app: Flask, client: FlaskClient, writer: dict[str, str], key: str
) -> None:
    response = client.post(
        "/api/v1/articles",
        json=ARTICLE,
        headers=[*writer.items(), ("Idempotency-Key", key)],
    )
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert count(app, Article) == 0


@pytest.mark.parametrize("key", ["a", "~" * 255, "0f8fad5b-d9cb-469f-a165-70867728950e"])
def test_the_key_range_ends_are_accepted(
    client: FlaskClient, writer: dict[str, str], key: str
) -> None:
    assert post_article(client, writer, key).status_code == 201


def test_a_failed_request_stores_nothing_and_frees_the_key(
    app: Flask, client: FlaskClient, writer: dict[str, str]
) -> None:
    refused = post_article(client, writer, "fix-and-retry", {**ARTICLE, "url": "javascript:x"})
    assert refused.status_code == 422
    assert count(app, IdempotencyRecord) == 0
    # The corrected body under the same key is a new request, not a 422 for a changed body.
    assert post_article(client, writer, "fix-and-retry").status_code == 201
    assert count(app, Article) == 1


def test_publish_replays_instead_of_412(
    app: Flask, client: FlaskClient, writer: dict[str, str]
) -> None:
    article_id = create_article(client, writer).get_json()["id"]
    check = create_fact_check(client, writer, article_id)
    headers = {**writer, "If-Match": check.headers["ETag"], "Idempotency-Key": "publish-1"}
    path = check.headers["Location"] + "/publish"
    first = client.post(path, headers=headers)
    again = client.post(path, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.get_data() == first.get_data()
    # Without the key the same retry is stale: the version moved on.
    assert (
        client.post(path, headers={**writer, "If-Match": check.headers["ETag"]}).status_code == 412
    )


@pytest.fixture
def blocked_create(
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[threading.Event, threading.Event]]:
    """Hold create_article inside the request until the test lets it go."""
    entered, release = threading.Event(), threading.Event()
    original = articles.create_article

    def slow(*args: Any, **kwargs: Any) -> Any:
        entered.set()
        assert release.wait(30)
        return original(*args, **kwargs)

    monkeypatch.setattr(articles, "create_article", slow)
    yield entered, release
    release.set()


def test_a_duplicate_while_the_first_runs_waits_and_replays_it(
    app: Flask,
    writer: dict[str, str],
    blocked_create: tuple[threading.Event, threading.Event],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The first request holds its transaction, with its key's record in it, inside the write.
    entered, release = blocked_create
    duplicate_writing = threading.Event()
    hold = records.hold_idempotency_key

    def watched(*args: Any, **kwargs: Any) -> Any:
        if entered.is_set():
            duplicate_writing.set()
        return hold(*args, **kwargs)

    monkeypatch.setattr(records, "hold_idempotency_key", watched)
    turn = store.writer_turn

    def queued(engine: Any, timeout: float) -> Any:
        # On SQLite a writer waits for its turn before its first statement (db.writer_turn).
        if entered.is_set() and engine.dialect.name == "sqlite":
            duplicate_writing.set()
        return turn(engine, timeout)

    monkeypatch.setattr(store, "writer_turn", queued)
    results: dict[str, Any] = {}

    def post(name: str) -> None:
        results[name] = post_article(app.test_client(), writer, "slow")

    first = threading.Thread(target=post, args=("first",))
    first.start()
    assert entered.wait(30)
    duplicate = threading.Thread(target=post, args=("duplicate",))
    duplicate.start()
    # The duplicate found no answer before the write and now meets the first's record.
    assert duplicate_writing.wait(30)
    release.set()
    first.join(30)
    duplicate.join(30)
    assert results["first"].status_code == results["duplicate"].status_code == 201
    assert results["duplicate"].get_data() == results["first"].get_data()
    assert results["duplicate"].headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in results["first"].headers
    assert count(app, Article) == 1


def run_together(count_: int, call: Callable[[int], Any]) -> list[Any]:
    """Start `count_` threads at once (a barrier), each with its own client; their results."""
    barrier = threading.Barrier(count_)
    results: list[Any] = [None] * count_

    def worker(index: int) -> None:
        barrier.wait(30)
        results[index] = call(index)

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(count_)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_twenty_parallel_identical_posts_make_one_row(app: Flask, writer: dict[str, str]) -> None:
    responses = run_together(20, lambda _: post_article(app.test_client(), writer, "burst"))
    statuses = sorted(response.status_code for response in responses)
    assert set(statuses) <= {201, 409}, statuses
    assert count(app, Article) == 1
    created = [response for response in responses if response.status_code == 201]
    assert created and len({response.get_data() for response in created}) == 1
    assert len([r for r in created if "Idempotent-Replayed" not in r.headers]) == 1
    settled = post_article(app.test_client(), writer, "burst")
    assert settled.status_code == 201 and settled.get_data() == created[0].get_data()


def test_twenty_concurrent_patches_with_one_etag_have_one_winner(
    app: Flask, client: FlaskClient, writer: dict[str, str]
) -> None:
    article_id = create_article(client, writer).get_json()["id"]
    check = create_fact_check(client, writer, article_id)
    path, etag = check.headers["Location"], check.headers["ETag"]

    def patch(index: int) -> Any:
        return app.test_client().patch(
            path,
            json={"reviewBody": f"Editor {index} was here."},
            headers={**writer, "If-Match": etag},
        )

    responses = run_together(20, patch)
    statuses = [response.status_code for response in responses]
    assert statuses.count(200) == 1, statuses
    assert statuses.count(412) == 19, statuses
    winner = statuses.index(200)
    stored = client.get(path, headers=writer).get_json()
    assert stored["reviewBody"] == f"Editor {winner} was here."
    assert stored["version"] == 2
    with app.app_context():
        assert db.session.get(FactCheck, check.get_json()["id"]).review_body == stored["reviewBody"]


# --- a real socket: the client hangs up after the server committed ---------------------------


@pytest.fixture
def server(app: Flask) -> Iterator[tuple[str, int]]:
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield "127.0.0.1", httpd.server_port
    httpd.shutdown()
    thread.join(10)


def raw_post(path: str, headers: dict[str, str], body: bytes) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: factcheck.test", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines += [f"Content-Length: {len(body)}", "Content-Type: application/json"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def read_response(address: tuple[str, int], request_bytes: bytes) -> tuple[int, bytes, str]:
    with socket.create_connection(address, timeout=10) as connection:
        connection.sendall(request_bytes)
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
    raw = b"".join(chunks)
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split()[1]), body, head.decode()


def test_a_retry_after_the_connection_dropped_returns_the_committed_result(
    app: Flask, writer: dict[str, str], server: tuple[str, int]
) -> None:
    headers = {**writer, "Idempotency-Key": "lost-response"}
    request_bytes = raw_post("/api/v1/articles", headers, json.dumps(ARTICLE).encode())
    connection = socket.create_connection(server, timeout=10)
    connection.sendall(request_bytes)
    # Wait until the server has committed the article, then hang up without reading a byte:
    # SO_LINGER 0 makes close() send RST, as a client that crashed or lost its network would.
    deadline = time.monotonic() + 20
    while count(app, Article) == 0:
        assert time.monotonic() < deadline, "the server never committed"
        time.sleep(0.01)
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    connection.close()

    while True:  # until the first request has stored its response (409 while it runs)
        status, body, head = read_response(server, request_bytes)
        if status != 409:
            break
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert status == 201, body
    assert "Idempotent-Replayed: true" in head
    with app.app_context():
        stored = db.session.scalars(select(Article)).one()
    assert json.loads(body)["id"] == stored.id
    assert count(app, Article) == 1
    again_status, again_body, _ = read_response(server, request_bytes)
    assert (again_status, again_body) == (201, body)


def test_a_key_older_than_24_hours_starts_afresh(
    app: Flask, client: FlaskClient, writer: dict[str, str]
) -> None:
    first = post_article(client, writer, "yesterday")
    with app.app_context():
        record = db.session.scalars(select(IdempotencyRecord)).one()
        record.date_created -= timedelta(hours=24, minutes=1)
        db.session.commit()
    other = {**ARTICLE, "url": "https://news.example.com/today"}
    response = post_article(client, writer, "yesterday", other)
    assert response.status_code == 201
    assert response.get_json()["id"] != first.get_json()["id"]
    assert "Idempotent-Replayed" not in response.headers


def test_a_key_younger_than_24_hours_still_replays(
    app: Flask, client: FlaskClient, writer: dict[str, str]
) -> None:
    first = post_article(client, writer, "this-morning")
    with app.app_context():
        record = db.session.scalars(select(IdempotencyRecord)).one()
        record.date_created -= timedelta(hours=23, minutes=59)
        db.session.commit()
    assert post_article(client, writer, "this-morning").get_data() == first.get_data()


def test_purge_forgets_only_expired_keys(
    app: Flask, client: FlaskClient, writer: dict[str, str], runner: Any
) -> None:
    post_article(client, writer, "old")
    post_article(client, writer, "new", {**ARTICLE, "url": "https://news.example.com/new"})
    with app.app_context():
        old = db.session.scalars(
            select(IdempotencyRecord).where(IdempotencyRecord.key == "old")
        ).one()
        old.date_created -= timedelta(hours=25)
        db.session.commit()
    result = runner.invoke(args=["purge-idempotency-keys"])
    assert result.exit_code == 0, result.output
    assert "deleted 1 " in result.output
    with app.app_context():
        assert db.session.scalars(select(IdempotencyRecord.key)).all() == ["new"]
