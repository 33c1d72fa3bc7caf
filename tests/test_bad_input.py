"""SPEC §5 end to end: the bad-input list thrown at every write route. Each answer is the right 4xx
as problem+json, and the database is exactly as it was afterwards (idempotency keys included).
And the service never opens a connection to a URL it was given."""

import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import make_url, select

from factcheck.storage.db import Base, db

from .conftest import ARTICLE, FACT_CHECK, create_article, create_fact_check, publish
from .redis_server import RedisServer


@dataclass(frozen=True)
class Route:
    name: str
    method: str
    path: str
    body: dict[str, Any]  # a valid body, which each case spoils in one way
    # The route's own fields of each kind; a route without one gets the field as an unknown one.
    text: str = "headline"
    url: str = "url"
    date: str = "datePublished"


@dataclass(frozen=True)
class Case:
    name: str
    status: int
    raw: bytes
    content_type: str = "application/json"
    pointer: str | None = None


def json_bytes(document: Any) -> bytes:
    # ensure_ascii sends a lone surrogate as the \ud800 escape a hostile client would write.
    return json.dumps(document, ensure_ascii=True).encode()


def transport_cases(route: Route) -> list[Case]:
    valid = json_bytes(route.body)
    return [
        Case("truncated-json", 400, valid[:-1]),
        Case("not-json", 400, b"headline=x"),
        Case("deep-list", 400, b"[" * 33 + b"]" * 33),
        Case("deep-object", 400, b'{"a":' * 40 + b"1" + b"}" * 40),
        Case("very-deep", 400, b"[" * 100_000),
        Case("nan", 400, valid[:-1] + b', "n": NaN}'),
        Case("infinity", 400, valid[:-1] + b', "n": -Infinity}'),
        Case("huge-int-literal", 400, valid[:-1] + b', "n": 1' + b"0" * 5000 + b"}"),
        Case("not-utf8", 400, b'{"note": "\xff\xfe"}'),
        Case("text-plain", 415, valid, "text/plain"),
        Case("form", 415, b"headline=x", "application/x-www-form-urlencoded"),
        Case("xml", 415, b"<article/>", "application/xml"),
        Case("over-1-mib", 413, b'{"x": "' + b"a" * (1024 * 1024) + b'"}'),
        Case("json-array", 422, json_bytes([route.body])),
        Case("json-string", 422, b'"hello"'),
    ]


def value_cases(route: Route) -> list[Case]:
    def spoil(name: str, field: str, value: Any, pointer: str | None = None) -> Case:
        return Case(name, 422, json_bytes({**route.body, field: value}), pointer=pointer or field)

    rating = {**FACT_CHECK["rating"]}
    evidence = FACT_CHECK["evidence"][0]
    return [
        spoil("nul", route.text, "before\u0000after"),
        spoil("lone-surrogate", route.text, "lone \ud800 surrogate"),
        spoil("bell", route.text, "ding\u0007"),
        spoil("escape", route.text, "\u001b[31mred"),
        spoil("oversize-string", route.text, "x" * 100_000),
        spoil("javascript-url", route.url, "javascript:alert(document.cookie)"),
        spoil("file-url", route.url, "file:///etc/passwd"),
        spoil("data-url", route.url, "data:text/html,<script>alert(1)</script>"),
        spoil("hostless-url", route.url, "http:///nothing"),
        spoil("impossible-date", route.date, "2024-02-30"),
        spoil("month-13", route.date, "2024-13-01"),
        spoil("huge-offset", "quoteOffset", 10**30),
        spoil("float-offset", "quoteOffset", 1.5),
        spoil("rating-above-scale", "rating", {**rating, "ratingValue": 6}, "rating"),
        spoil("rating-below-scale", "rating", {**rating, "ratingValue": 0}, "rating"),
        spoil("rating-huge", "rating", {**rating, "ratingValue": 10**20}, "rating"),
        spoil("rating-inverted-scale", "rating", {**rating, "bestRating": 1, "worstRating": 5}),
        spoil("oversize-list", "evidence", [evidence] * 51),
        spoil("oversize-appearances", "claimAppearances", ["https://a.example/"] * 21),
        spoil("evidence-file-url", "evidence", [{**evidence, "url": "file:///etc/shadow"}]),
        spoil("server-owned-field", "status", "published"),
    ]


@pytest.fixture
def routes(client: FlaskClient, writer: dict[str, str]) -> list[Route]:
    article = create_article(client, writer).get_json()
    draft = create_fact_check(client, writer, article["id"]).get_json()
    shown = create_fact_check(client, writer, article["id"], url="https://desk.example.org/c#2")
    assert publish(client, writer, shown).status_code == 200
    checks = "/api/v1/fact-checks"
    fact_check = {"text": "claimReviewed", "url": "url", "date": "claimDate"}
    return [
        Route(
            "create-article", "POST", "/api/v1/articles", {**ARTICLE, "url": "https://n.example/2"}
        ),
        Route("edit-article", "PATCH", f"/api/v1/articles/{article['id']}", {"author": "A"}),
        Route(
            "create-fact-check",
            "POST",
            f"/api/v1/articles/{article['id']}/fact-checks",
            {**FACT_CHECK, "url": "https://desk.example.org/c#3"},
            **fact_check,
        ),
        Route(
            "edit-fact-check", "PATCH", f"{checks}/{draft['id']}", {"reviewBody": "B"}, **fact_check
        ),
        Route("publish", "POST", f"{checks}/{draft['id']}/publish", {}, text="note"),
        Route(
            "retract",
            "POST",
            f"{checks}/{shown.get_json()['id']}/retract",
            {"note": "N"},
            text="note",
        ),
    ]


# When a key was last used is bookkeeping of the caller's own key, not a change it made.
BOOKKEEPING = {("api_keys", "date_last_used")}


def dump(app: Flask) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in primary-key order (bookkeeping columns left out)."""
    with app.app_context():
        rows = {
            table.name: [
                tuple(row)
                for row in db.session.execute(
                    select(
                        *(c for c in table.columns if (table.name, c.name) not in BOOKKEEPING)
                    ).order_by(*table.primary_key.columns)
                )
            ]
            for table in Base.metadata.sorted_tables
        }
        db.session.remove()
    return rows


ROUTE_NAMES = [
    "create-article",
    "edit-article",
    "create-fact-check",
    "edit-fact-check",
    "publish",
    "retract",
]


@pytest.mark.parametrize("route_name", ROUTE_NAMES)
def test_bad_input_is_refused_and_changes_nothing(
    app: Flask, client: FlaskClient, writer: dict[str, str], routes: list[Route], route_name: str
) -> None:
    route = next(route for route in routes if route.name == route_name)
    before = dump(app)
    wrong = []
    for case in transport_cases(route) + value_cases(route):
        headers = {**writer, "If-Match": "*", "Idempotency-Key": f"bad-{route.name}-{case.name}"}
        response = client.open(
            route.path,
            method=route.method,
            data=case.raw,
            content_type=case.content_type,
            headers=headers,
        )
        problem = response.get_json(silent=True) or {}
        pointers = [error.get("pointer", "") for error in problem.get("errors", [])]
        if (
            response.status_code != case.status
            or response.mimetype != "application/problem+json"
            or problem.get("status") != case.status
            or (
                case.pointer is not None
                and not any(p.startswith("/" + case.pointer) for p in pointers)
            )
        ):
            wrong.append((case.name, response.status_code, response.get_data(as_text=True)[:300]))
    assert wrong == []
    assert dump(app) == before
    # The unspoiled body is accepted, so each refusal above was the spoiled part's doing.
    accepted = client.open(
        route.path,
        method=route.method,
        json=route.body,
        headers={**writer, "If-Match": "*", "Idempotency-Key": f"good-{route.name}"},
    )
    assert accepted.status_code in {200, 201}, accepted.get_data(as_text=True)
    assert dump(app) != before


# --- the service never fetches a URL it was given --------------------------------------------


@pytest.fixture
def no_outbound(
    monkeypatch: pytest.MonkeyPatch, redis_server: RedisServer, database_url: str
) -> Iterator[list[str]]:
    """Any connection or name lookup other than to the test's own database and Redis raises, and
    is recorded: a service that swallowed the error would still be caught."""
    allowed = {("127.0.0.1", redis_server.port)}
    if database_url.startswith("postgres"):
        parsed = make_url(database_url)
        allowed.add((parsed.host or "127.0.0.1", parsed.port or 5432))
    attempts: list[str] = []
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def guard(address: Any) -> None:
        if isinstance(address, tuple) and tuple(address[:2]) in allowed:
            return
        attempts.append(repr(address))
        raise OSError(f"test forbids outbound connections: {address!r}")

    def connect(self: socket.socket, address: Any) -> None:
        guard(address)
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        guard(address)
        return real_connect_ex(self, address)

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in {"127.0.0.1", "localhost"}:
            attempts.append(f"dns:{host}")
            raise OSError(f"test forbids name lookups: {host!r}")
        return real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket, "create_connection", _create_connection_via(connect))
    yield attempts


def _create_connection_via(connect: Any) -> Any:
    def create_connection(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            connect(sock, address)
        except OSError:
            sock.close()
            raise
        return sock

    return create_connection


@pytest.fixture
def trap() -> Iterator[tuple[str, socket.socket]]:
    """A listening socket on loopback: a URL pointing at it would show any fetch."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.setblocking(False)
    yield f"http://127.0.0.1:{listener.getsockname()[1]}", listener
    listener.close()


def test_the_service_never_fetches_a_url_it_was_given(
    client: FlaskClient,
    writer: dict[str, str],
    no_outbound: list[str],
    trap: tuple[str, socket.socket],
) -> None:
    base, listener = trap
    article = create_article(
        client,
        writer,
        url=f"{base}/article",
        publisher={"name": "Trap News", "url": f"{base}/publisher"},
    )
    article_id = article.get_json()["id"]
    check = create_fact_check(
        client,
        writer,
        article_id,
        url="https://desk.example.org/checks/trap",
        claimAppearances=[f"{base}/appearance", "https://unresolvable.example.invalid/x"],
        claimFirstAppearance=f"{base}/first",
        claimAuthor={"name": "Someone", "type": "Person", "sameAs": [f"{base}/same-as"]},
        evidence=[
            {
                **FACT_CHECK["evidence"][0],
                "url": f"{base}/evidence",
                "archivedUrl": f"{base}/archive",
            },
            {**FACT_CHECK["evidence"][0], "url": "https://stats.example.gov/other"},
        ],
    )
    assert publish(client, writer, check).status_code == 200
    path = check.headers["Location"]
    assert client.get(path + "/claimreview").status_code == 200
    assert client.get(f"/api/v1/articles/{article_id}/claimreview").status_code == 200
    assert (
        client.get("/api/v1/fact-checks", query_string={"url": f"{base}/appearance"}).status_code
        == 200
    )
    assert (
        client.get("/api/v1/articles", query_string={"url": f"{base}/article"}).status_code == 200
    )
    assert no_outbound == []
    with pytest.raises(BlockingIOError):
        listener.accept()  # nobody knocked
    assert urlsplit(base).hostname == "127.0.0.1"


def test_the_guard_itself_catches_a_fetch(
    no_outbound: list[str], trap: tuple[str, socket.socket]
) -> None:
    """The guard above must see a fetch when there is one, else its silence proves nothing."""
    import urllib.request

    base, _ = trap
    with pytest.raises(OSError):
        urllib.request.urlopen(base + "/x", timeout=1)
    with pytest.raises(OSError):
        urllib.request.urlopen("http://stats.example.gov/cpi", timeout=1)
    assert len(no_outbound) == 2
