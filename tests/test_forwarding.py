"""No request header changes what another reader gets. Each forwarding header (SCRIPT_NAME,
X-Forwarded-*, Forwarded, X-Original-URL, Host) is sent through the production server, from an
address it trusts as a proxy, to every public document while the cache is empty, so that the
request carrying it is the one that builds and caches them; a plain reader then gets exactly what
a plain reader got before."""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from factcheck.core import seed
from factcheck.storage.db import db

from .conftest import SEEDS, _create_postgres_database, _drop_postgres_database, _migrate, make_app
from .production_server import ProductionServer
from .redis_server import RedisServer

BASE = os.environ.get("TEST_DATABASE_URL", "")
SITE = "http://factcheck.test"
CHECK = 9

PUBLIC = [
    f"/fact-checks/{CHECK}",
    f"/fact-checks/{CHECK}/embed",
    "/articles/1",
    f"/oembed?url={SITE}/fact-checks/{CHECK}&format=json",
    f"/api/v1/fact-checks/{CHECK}",
    f"/api/v1/fact-checks/{CHECK}/claimreview",
    f"/api/v1/fact-checks/{CHECK}/revisions",
    "/api/v1/articles/1/claimreview",
    "/api/v1/organizations/example-desk",
    "/api/v1/feed",
]

EVIL = "evil.example"
# (headers, the prefix the path is sent under): a server takes SCRIPT_NAME only for a path that
# starts with it.
FORWARDING: dict[str, tuple[dict[str, str], str]] = {
    "script-name": ({"SCRIPT_NAME": "/evil"}, "/evil"),
    "script-name-host-like": ({"SCRIPT_NAME": f"/{EVIL}"}, f"/{EVIL}"),
    "x-forwarded-host": ({"X-Forwarded-Host": EVIL}, ""),
    "x-forwarded-proto": ({"X-Forwarded-Proto": "https"}, ""),
    "x-forwarded-prefix": ({"X-Forwarded-Prefix": "/evil"}, ""),
    "x-forwarded-port": ({"X-Forwarded-Port": "4443"}, ""),
    "x-forwarded-server": ({"X-Forwarded-Server": EVIL}, ""),
    "x-forwarded-for": ({"X-Forwarded-For": "203.0.113.9"}, ""),
    "forwarded": ({"Forwarded": f"for=203.0.113.9;host={EVIL};proto=https"}, ""),
    "x-original-url": ({"X-Original-URL": f"/evil/fact-checks/{CHECK}"}, ""),
    "x-rewrite-url": ({"X-Rewrite-URL": "/evil/"}, ""),
    "host": ({"Host": EVIL}, ""),
    "x-host": ({"X-Host": EVIL}, ""),
}


@pytest.fixture(scope="module")
def seeded_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if BASE.startswith("postgres"):
        url = _create_postgres_database(BASE)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('forwarding') / 'db.sqlite3'}"
    _migrate(url)
    app = make_app(url, "")
    with app.app_context():
        list(seed.load_directory(SEEDS))
        db.session.remove()
        db.engine.dispose()
    yield url
    if BASE.startswith("postgres"):
        _drop_postgres_database(BASE, url)


@pytest.fixture(scope="module")
def server(seeded_database: str, redis_server: RedisServer) -> Iterator[ProductionServer]:
    running = ProductionServer(
        {
            "DATABASE_URL": seeded_database,
            "REDIS_URL": redis_server.url,
            "SITE_URL": SITE,
            # The tests' own address is a trusted proxy, the worst case for forwarded headers.
            "FORWARDED_ALLOW_IPS": "127.0.0.1",
            "RATE_LIMIT_ENABLED": "false",
        }
    )
    running.start()
    yield running
    running.stop()


def plain(server: ProductionServer) -> dict[str, tuple[int, bytes, str | None]]:
    answers = {}
    for path in PUBLIC:
        response = server.request("GET", path)
        answers[path] = (response.status, response.body, response.headers.get("ETag"))
    return answers


@pytest.fixture(scope="module")
def before(server: ProductionServer, redis_server: RedisServer) -> dict[str, Any]:
    redis_server.client().flushdb()
    first = plain(server)
    assert {status for status, _, _ in first.values()} == {200}
    assert plain(server) == first, "the same bytes when served from the cache"
    return first


@pytest.mark.parametrize("case", FORWARDING)
def test_a_forwarding_header_changes_nothing_a_plain_reader_gets(
    server: ProductionServer, redis_server: RedisServer, before: dict[str, Any], case: str
) -> None:
    headers, prefix = FORWARDING[case]
    redis_server.client().flushdb()
    for path in PUBLIC:
        forwarded = server.request("GET", prefix + path, headers)
        # What the forwarding request itself got is built on SITE_URL too.
        if forwarded.status == 200:
            assert EVIL.encode() not in forwarded.body and b"/evil" not in forwarded.body, path
            assert b"https://factcheck.test" not in forwarded.body, path
    assert redis_server.client().dbsize() > 0 or prefix, "the forwarding requests filled the cache"
    after = plain(server)
    for path in PUBLIC:
        assert after[path] == before[path], path


def test_a_script_name_is_not_believed_unless_the_setting_says_so(
    server: ProductionServer,
) -> None:
    """By default the app serves at the root: the prefixed path is simply not one of its pages."""
    response = server.request("GET", f"/evil/fact-checks/{CHECK}", {"SCRIPT_NAME": "/evil"})
    assert response.status == 404


@pytest.mark.parametrize("trusted", [False, True])
def test_links_are_built_on_site_url_whatever_the_prefix(
    seeded_database: str, redis_server: RedisServer, tmp_path: Path, trusted: bool
) -> None:
    """With TRUST_FORWARDED_PREFIX the prefix routes, and still reaches no link of a page."""
    redis_server.client().flushdb()
    app = make_app(seeded_database, redis_server.url, TRUST_FORWARDED_PREFIX=trusted)
    client: FlaskClient = app.test_client()
    expected = client.get(f"/fact-checks/{CHECK}").data
    redis_server.client().flushdb()
    # As a server passes it on: the prefix in SCRIPT_NAME, the rest of the path in PATH_INFO.
    prefixed = client.get(f"/fact-checks/{CHECK}", environ_overrides={"SCRIPT_NAME": "/evil"})
    assert prefixed.status_code == (200 if trusted else 404)
    if trusted:
        assert prefixed.data == expected
    assert client.get(f"/fact-checks/{CHECK}").data == expected
    with app.app_context():
        db.engine.dispose()
