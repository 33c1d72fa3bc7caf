"""The database round trips of a write: a draft and its publish, counted on the real engine.

Each statement the driver is sent (SQLAlchemy's before_cursor_execute) and each pool checkout
(with pool_pre_ping, one SELECT 1 more) is a round trip; on PostgreSQL every one is a wait for
the server, with the feed's lock or a row lock held for those after the first write. The bounds
are what the write paths need now: a change that adds a query per write fails here.
"""

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, text

from factcheck.storage.db import db

from .conftest import _libpq, create_article, create_fact_check, publish
from .test_db_faults import POSTGRES

# At most, per request once warm. PostgreSQL, before these bounds: a draft 5 statements and a
# publish 18, each request in two transactions and two checkouts, each checkout pinged. Now one
# transaction and one unpinged checkout per request, the feed's lock and row one statement, the
# search terms one upsert; then (writes stop 21) the stored JSON and ClaimReview one INSERT, the
# applied cache invalidations' DELETE inside the new record's INSERT, and no SELECT of webhook
# subscriptions when the fact-check's own SELECT found none enabled (publish 14 -> 11). SQLite
# begins its write transaction anew (its BEGINs are statements here) and keeps the two-step feed
# row, term lookup and invalidation record.
BOUNDS = {
    "postgresql": {"draft": 4, "publish": 11, "transactions": 1, "checkouts": 1},
    "sqlite": {"draft": 6, "publish": 16, "transactions": 2, "checkouts": 2},
}


class RoundTrips:
    def __init__(self) -> None:
        self.statements: list[str] = []
        self.checkouts = 0
        self.transactions = 0


@contextmanager
def counted(app: Flask) -> Iterator[RoundTrips]:
    trips = RoundTrips()
    with app.app_context():
        engine = db.engine

    def on_statement(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        trips.statements.append(statement)

    def on_checkout(*_args: Any) -> None:
        trips.checkouts += 1

    def on_begin(*_args: Any) -> None:
        trips.transactions += 1

    listeners = [
        (engine, "before_cursor_execute", on_statement),
        (engine, "begin", on_begin),
        (engine.pool, "checkout", on_checkout),
    ]
    for target, name, listener in listeners:
        event.listen(target, name, listener)
    try:
        yield trips
    finally:
        for target, name, listener in listeners:
            event.remove(target, name, listener)


def test_a_draft_and_its_publish_take_few_round_trips(
    app: Flask, client: FlaskClient, writer: dict[str, str]
) -> None:
    article = create_article(client, writer).get_json()
    # The first draft and publish warm what a process and a database do once (the cache's
    # namespace, the search index's terms and totals).
    assert (
        publish(client, writer, create_fact_check(client, writer, article["id"])).status_code == 200
    )
    with counted(app) as drafting:
        draft = create_fact_check(client, writer, article["id"], url="https://desk.example.org/2")
    with counted(app) as publishing:
        published = publish(client, writer, draft)
    assert published.status_code == 200
    for name, trips in (("draft", drafting), ("publish", publishing)):
        print(
            f"{name}: {len(trips.statements)} statements, {trips.transactions} transactions,"
            f" {trips.checkouts} checkouts"
        )
        for statement in trips.statements:
            print(
                "   ", " ".join(statement.split())[:150], "...", " ".join(statement.split())[-200:]
            )
    with app.app_context():
        bounds = BOUNDS[db.engine.dialect.name]
    assert len(drafting.statements) <= bounds["draft"]
    assert len(publishing.statements) <= bounds["publish"]
    for trips in (drafting, publishing):
        assert trips.transactions <= bounds["transactions"]
        assert trips.checkouts <= bounds["checkouts"]


@pytest.mark.skipif(not POSTGRES.startswith("postgres"), reason="PostgreSQL's pool")
def test_a_connection_that_died_while_idle_is_replaced_unseen(
    app: Flask, client: FlaskClient, writer: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pooled connection back for longer than PING_AFTER is pinged at checkout; a dead one is
    replaced and the request goes through."""
    article = create_article(client, writer).get_json()
    with app.app_context():
        pid = db.session.scalar(text("SELECT pg_backend_pid()"))
        db.session.rollback()  # back to the pool
    killer = psycopg.connect(_libpq(POSTGRES), autocommit=True)
    with killer:
        assert killer.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone() == (True,)
    # (factcheck.storage.db the module: the package's `db` is the SQLAlchemy handle)
    database_module = importlib.import_module("factcheck.storage.db")
    monkeypatch.setattr(database_module, "PING_AFTER", 0.0)  # every pooled connection has idled
    create_fact_check(client, writer, article["id"])
