"""The answer is the write (issue 11, point 1): the status, ETag, version and body of a 2xx write
are those of the row version that write committed, never another writer's later one."""

import threading
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from factcheck.storage import store
from factcheck.storage.models import Revision

from .conftest import create_article, create_fact_check

WRITERS = 8
ROUNDS = 10
# What the revisions do not carry: server-owned fields, and dates (a diff leaves them out).
NOT_IN_REVISIONS = {"id", "articleId", "organization", "version", "status", "corrections"}
NOT_IN_REVISIONS |= {"retraction"}


def editable(body: dict[str, Any]) -> dict[str, Any]:
    return {
        key: value
        for key, value in body.items()
        if key not in NOT_IN_REVISIONS and not key.startswith("date")
    }


def state_at_each_version(revisions: list[Revision]) -> dict[int, dict[str, Any]]:
    """The editable fields at every stored version, replayed from the create's snapshot and
    each later revision's [before, after] pairs."""
    states: dict[int, dict[str, Any]] = {}
    current: dict[str, Any] = {}
    for revision in revisions:
        if revision.action == "create":
            current = dict(revision.changes)
        else:
            current = {**current, **{key: pair[1] for key, pair in revision.changes.items()}}
        states[revision.version] = editable(current)
    return states


def test_concurrent_editors_are_each_answered_with_the_version_they_wrote(
    app: Flask, client: FlaskClient, writer: dict[str, str]
) -> None:
    article_id = create_article(client, writer).get_json()["id"]
    path = create_fact_check(client, writer, article_id).headers["Location"]
    acknowledged: list[tuple[int, str, dict[str, Any]]] = []
    statuses: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(WRITERS)

    def edit(index: int) -> None:
        own = app.test_client()
        barrier.wait(30)
        for round_ in range(ROUNDS):
            # Every other round on `If-Match: *`, so writers queue on the row back to back and
            # a re-read after the commit would see the next writer's version.
            etag = "*" if round_ % 2 else own.get(path, headers=writer).headers["ETag"]
            response = own.patch(
                path,
                json={"reviewBody": f"Editor {index}, round {round_}."},
                headers={**writer, "If-Match": etag},
            )
            with lock:
                statuses.append(response.status_code)
                if response.status_code == 200:
                    acknowledged.append((index, response.headers["ETag"], response.get_json()))

    threads = [threading.Thread(target=edit, args=(index,)) for index in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(thread.is_alive() for thread in threads)
    assert set(statuses) <= {200, 412}, statuses
    assert acknowledged

    fact_check_id = acknowledged[0][2]["id"]
    with app.app_context():
        states = state_at_each_version(list(store.revisions(fact_check_id)))
    versions = [body["version"] for _, _, body in acknowledged]
    assert len(set(versions)) == len(versions), "two writes acknowledged with one version"
    for index, etag, body in acknowledged:
        assert etag == f'"fact-check-{fact_check_id}-v{body["version"]}"'
        assert body["reviewBody"].startswith(f"Editor {index},")
        assert editable(body) == states[body["version"]], body["version"]


def test_the_write_answers_with_its_own_version_after_many_writes(
    client: FlaskClient, writer: dict[str, str]
) -> None:
    # The sequential case of the same promise: each answer names the version after the last.
    article_id = create_article(client, writer).get_json()["id"]
    created = create_fact_check(client, writer, article_id)
    path, etag = created.headers["Location"], created.headers["ETag"]
    for version in range(2, 6):
        response = client.patch(
            path, json={"reviewBody": f"v{version}"}, headers={**writer, "If-Match": etag}
        )
        assert response.status_code == 200
        body = response.get_json()
        assert (body["version"], body["reviewBody"]) == (version, f"v{version}")
        etag = response.headers["ETag"]
        assert etag.endswith(f'-v{version}"')
