"""Published documents stored in the database in the write's own transaction (issue 13, point 4):
with Redis stopped a public document is one primary-key read, byte-identical to the cached one,
and every change that alters it replaces it before its commit, so a crash after the commit still
leaves it right."""

import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete

from factcheck.core import published
from factcheck.storage import store, stored_documents
from factcheck.storage.db import db
from factcheck.storage.models import FactCheck, PublishedDocument
from factcheck.web.faults import HEADER

from .conftest import ARTICLE, FACT_CHECK, key_of_new_organization, make_app
from .production_server import ProductionServer
from .redis_server import RedisServer
from .test_cache import CORRECTION, Story, correct, counting_queries, outage, story, verdict

__all__ = ["outage", "story"]  # fixtures, used by name

DOCUMENTS = {"fact-check": "json", "claimreview": "claimreview"}


def stored(app: Flask, name: str) -> Any:
    with app.app_context():
        found = stored_documents.get(name)
        db.session.remove()
        return found


def rendered_now(app: Flask, fact_check_id: int, kind: str) -> Any:
    """What a render of the committed data gives, in a session of its own."""
    with app.app_context():
        check = store.get(FactCheck, fact_check_id)
        assert check is not None
        document = (
            published.fact_check_json(check)
            if kind == "json"
            else published.claimreview_document(check)
        )
        db.session.remove()
        return document


def name_of(fact_check_id: int, kind: str) -> str:
    return f"fc:{fact_check_id}:{'ld' if kind == 'claimreview' else 'json'}"


def wait_until_local_copies_stop(app: Flask) -> None:
    """This process's copies are served until their tracking connection notices the stop."""
    local = app.extensions["factcheck.cache"].local
    deadline = time.monotonic() + 10
    while local is not None and local.live and time.monotonic() < deadline:
        time.sleep(0.01)
    assert local is None or not local.live, "the tracking connection never noticed the stop"


@pytest.mark.parametrize("route", DOCUMENTS)
def test_with_redis_stopped_a_published_document_is_one_select_of_its_stored_bytes(
    app: Flask, client: FlaskClient, story: Story, outage: RedisServer, route: str
) -> None:
    app.extensions["factcheck.cache"].breaker.cool_down = 30  # no probe during this test
    path = story.paths[route]
    cached = client.get(path)
    assert client.get(path).data == cached.data  # served from Redis now
    outage.stop()
    wait_until_local_copies_stop(app)
    client.get(path)  # the first call after the stop opens the breaker
    # The normal path's read (the fast lane's is tested in tests/test_fast_lane.py).
    app.extensions["factcheck.fast_lane"].enabled = False
    with counting_queries(app) as queries:
        served = client.get(path)
    assert served.status_code == 200
    assert served.data == cached.data
    assert served.headers["ETag"] == cached.headers["ETag"]
    assert served.mimetype == cached.mimetype
    # SQLite's BEGIN is a statement of its own (storage/db.py); PostgreSQL's is implicit.
    sent = [query for query in queries if query.strip().upper() != "BEGIN"]
    assert len(sent) == 1, queries
    assert sent[0].lstrip().upper().startswith("SELECT")
    assert "FROM published_documents" in sent[0]


@pytest.mark.parametrize("kind", ["json", "claimreview"])
def test_the_fast_lanes_read_leaves_no_session_nor_connection_behind(
    app: Flask, story: Story, kind: str
) -> None:
    name = name_of(story.published_id, kind)
    with app.app_context():
        db.session.remove()
        pool = db.engine.pool
        checked_out = pool.checkedout()  # type: ignore[attr-defined]
        found = stored_documents.get_outside_session(name)
        assert found is not None and found == stored_documents.get(name)
        db.session.remove()
        with counting_queries(app) as queries:
            stored_documents.get_outside_session(name)
        # The driver's cursor: past SQLAlchemy's Connection, so none of its statements either.
        assert queries == []
        assert not db.session.registry.has(), "a session was made"
        assert pool.checkedout() == checked_out  # type: ignore[attr-defined]
        assert stored_documents.get_outside_session(name_of(story.draft_id, kind)) is None


@pytest.mark.parametrize("kind", ["json", "claimreview"])
def test_publishing_stores_what_a_render_of_the_committed_data_gives(
    app: Flask, story: Story, kind: str
) -> None:
    kept = stored(app, name_of(story.published_id, kind))
    assert kept is not None
    assert kept == rendered_now(app, story.published_id, kind)


def test_a_draft_has_no_stored_documents(app: Flask, story: Story) -> None:
    for kind in ("json", "claimreview"):
        assert stored(app, name_of(story.draft_id, kind)) is None


@pytest.mark.parametrize("kind", ["json", "claimreview"])
def test_a_correction_replaces_the_stored_bytes(
    app: Flask, client: FlaskClient, writer: dict[str, str], story: Story, kind: str
) -> None:
    before = stored(app, name_of(story.published_id, kind))
    correct(client, writer, story)
    after = stored(app, name_of(story.published_id, kind))
    assert after != before
    assert after == rendered_now(app, story.published_id, kind)
    assert b'"False"' in after.body


def test_a_retraction_keeps_the_fact_check_and_withdraws_its_claimreview(
    app: Flask, client: FlaskClient, writer: dict[str, str], story: Story, outage: RedisServer
) -> None:
    response = client.post(
        f"/api/v1/fact-checks/{story.published_id}/retract",
        json={"note": "The quote was misattributed."},
        headers={**writer, "If-Match": "*"},
    )
    assert response.status_code == 200, response.get_json()
    assert stored(app, name_of(story.published_id, "claimreview")) is None
    kept = stored(app, name_of(story.published_id, "json"))
    assert kept == rendered_now(app, story.published_id, "json")
    assert b"misattributed" in kept.body
    outage.stop()
    assert client.get(story.paths["claimreview"]).status_code == 410
    assert client.get(story.paths["fact-check"]).data == kept.body


def test_an_article_edit_re_renders_its_fact_checks_claimreview(
    app: Flask, client: FlaskClient, writer: dict[str, str], story: Story
) -> None:
    response = client.patch(
        f"/api/v1/articles/{story.article_id}",
        json={"headline": "Minister's inflation claim"},
        headers={**writer, "If-Match": "*"},
    )
    assert response.status_code == 200, response.get_json()
    kept = stored(app, name_of(story.published_id, "claimreview"))
    assert kept == rendered_now(app, story.published_id, "claimreview")
    assert b"Minister's inflation claim" in kept.body


def test_an_organization_change_re_renders_its_fact_checks_author(app: Flask, story: Story) -> None:
    """What the organization PATCH (issue 16) calls in its unit of work."""
    with app.app_context():
        with store.unit_of_work():
            desk = store.organization_by_slug("desk")
            assert desk is not None
            desk.name = "Renamed Desk"
            store.flush()
            published.keep_organization(desk.id)
        db.session.remove()
    for kind in ("json", "claimreview"):
        assert stored(app, name_of(story.published_id, kind)) == rendered_now(
            app, story.published_id, kind
        )
    assert b"Renamed Desk" in stored(app, name_of(story.published_id, "claimreview")).body
    assert stored(app, name_of(story.draft_id, "json")) is None


def test_a_document_of_older_data_is_stored_by_its_first_read(
    app: Flask, client: FlaskClient, story: Story, redis_server: RedisServer
) -> None:
    with app.app_context():
        db.session.execute(delete(PublishedDocument))
        db.session.commit()
    first = client.get(story.paths["claimreview"])
    assert first.status_code == 200
    kept = stored(app, name_of(story.published_id, "claimreview"))
    assert kept is not None and kept.body == first.data
    assert stored(app, name_of(story.published_id, "json")) is not None
    # The draft's 404 stores nothing.
    assert client.get(f"/api/v1/fact-checks/{story.draft_id}").status_code == 404
    assert stored(app, name_of(story.draft_id, "json")) is None


# --- a crash between the commit and the answer ------------------------------------------------


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
        }
    )
    running.start()
    yield running, auth
    running.stop()


def test_a_correction_killed_after_its_commit_leaves_the_stored_bytes_right(
    server: tuple[ProductionServer, dict[str, str]], own_database: str
) -> None:
    running, auth = server
    article = running.request("POST", "/api/v1/articles", auth, ARTICLE).json()
    created = running.request(
        "POST", f"/api/v1/articles/{article['id']}/fact-checks", auth, FACT_CHECK
    )
    fact_check_id = created.json()["id"]
    published_now = running.request(
        "POST",
        f"/api/v1/fact-checks/{fact_check_id}/publish",
        {**auth, "If-Match": created.headers["ETag"]},
        None,
    )
    assert published_now.status == 200, published_now.body
    path = f"/api/v1/fact-checks/{fact_check_id}"
    try:
        answer = running.request(
            "PATCH", path, {**auth, "If-Match": "*", HEADER: "fact_checks"}, CORRECTION
        )
    except OSError:
        pass  # the worker died after the commit, as asked
    else:
        pytest.fail(f"the worker answered {answer.status} instead of dying")

    reader = make_app(own_database, "")
    try:
        for kind in ("json", "claimreview"):
            kept = stored(reader, name_of(fact_check_id, kind))
            assert kept == rendered_now(reader, fact_check_id, kind)
            assert b'"False"' in kept.body, "the committed correction is in the stored bytes"
        # With Redis out of the way (a reader with no cache), the corrected verdict is served.
        assert verdict(reader.test_client().get(f"{path}/claimreview")) == "False"
    finally:
        with reader.app_context():
            db.engine.dispose()
