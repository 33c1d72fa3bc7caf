"""Idempotency inside the write's transaction (issue 11, point 2): the key's record, the write
and the stored response commit together, and an Idempotency-Key is one header field."""

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from factcheck.storage.db import db
from factcheck.storage.models import Article, IdempotencyRecord
from factcheck.web import idempotency, writes

from .conftest import ARTICLE


def count(app: Flask, model: Any) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def post_article(client: FlaskClient, headers: list[tuple[str, str]]) -> Any:
    return client.post("/api/v1/articles", json=ARTICLE, headers=headers)


def test_two_idempotency_key_fields_are_400(
    app: Flask, client: FlaskClient, writer: dict[str, str]
) -> None:
    both = [*writer.items(), ("Idempotency-Key", "one"), ("Idempotency-Key", "two")]
    response = post_article(client, both)
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert count(app, Article) == count(app, IdempotencyRecord) == 0
    # Neither key was taken: each is a request of its own afterwards.
    assert post_article(client, [*writer.items(), ("Idempotency-Key", "one")]).status_code == 201


@pytest.mark.parametrize("key", ["one,two", "one, two", ","])
def test_a_key_with_a_comma_is_400(
    app: Flask, client: FlaskClient, writer: dict[str, str], key: str
) -> None:
    # What a server makes of two fields (gunicorn joins them with ",", Werkzeug with ", ").
    response = post_article(client, [*writer.items(), ("Idempotency-Key", key)])
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert count(app, Article) == 0


def test_the_kept_answer_is_the_bytes_sent(
    app: Flask, client: FlaskClient, writer: dict[str, str]
) -> None:
    sent = post_article(client, [*writer.items(), ("Idempotency-Key", "kept")])
    assert sent.status_code == 201
    with app.app_context():
        record = db.session.scalars(select(IdempotencyRecord)).one()
        assert (record.status, record.body) == (201, sent.get_data())
        assert record.headers["ETag"] == sent.headers["ETag"]


class Crash(Exception):
    """The worker died here (the test's stand-in for a kill at this instant)."""


def test_a_crash_after_the_commit_leaves_the_answer_for_the_retry(
    app: Flask, writer: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(*_args: Any) -> Any:
        raise Crash

    # The answer is turned into the response after the commit: die there.
    monkeypatch.setattr(idempotency, "response_of", crash)
    headers = [*writer.items(), ("Idempotency-Key", "crash-after")]
    # The client never gets the answer: here a 500 where a killed worker sends nothing.
    assert post_article(app.test_client(), headers).status_code == 500
    monkeypatch.undo()
    assert count(app, Article) == 1
    retry = post_article(app.test_client(), headers)
    again = post_article(app.test_client(), headers)
    assert retry.status_code == 201
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert again.get_data() == retry.get_data()
    with app.app_context():
        stored = db.session.scalars(select(Article)).one()
        assert retry.get_json()["id"] == stored.id
    assert count(app, Article) == 1


def test_a_crash_before_the_commit_leaves_nothing_and_the_retry_creates_once(
    app: Flask, writer: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    render = writes.resource

    def crashing(*args: Any, **kwargs: Any) -> Any:
        rendered = render(*args, **kwargs)

        def crash(found: Any) -> Any:
            rendered(found)  # the row is written and flushed, the answer rendered: then death
            raise Crash

        return crash

    monkeypatch.setattr(writes, "resource", crashing)
    headers = [*writer.items(), ("Idempotency-Key", "crash-before")]
    # The client never gets the answer: here a 500 where a killed worker sends nothing.
    assert post_article(app.test_client(), headers).status_code == 500
    monkeypatch.undo()
    assert count(app, Article) == count(app, IdempotencyRecord) == 0
    retry = post_article(app.test_client(), headers)
    assert retry.status_code == 201
    assert "Idempotent-Replayed" not in retry.headers
    assert count(app, Article) == 1
