import os
import time
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import make_url, text

from factcheck.storage.db import db

from .conftest import make_app
from .redis_server import RedisServer, free_port

PROBLEM = "application/problem+json"


def test_healthz_answers_without_any_dependency(tmp_path: Path) -> None:
    # Neither the database directory nor Redis exists: the process is still alive.
    app = make_app(
        f"sqlite:///{tmp_path}/missing/dir/db.sqlite3", f"redis://127.0.0.1:{free_port()}"
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_is_ok_with_a_migrated_database_and_redis(client: FlaskClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}


def test_readyz_is_degraded_but_ready_without_redis(database_url: str) -> None:
    app = make_app(database_url, f"redis://127.0.0.1:{free_port()}")
    response = app.test_client().get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "degraded",
        "checks": {"database": "ok", "redis": "degraded"},
    }
    _dispose(app)


def test_readyz_is_degraded_while_redis_is_paused(
    database_url: str, redis_server: RedisServer
) -> None:
    app = make_app(database_url, redis_server.url, CACHE_COOL_DOWN=0.1)
    redis_server.pause()
    try:
        response = app.test_client().get("/readyz")
    finally:
        redis_server.resume()
    assert response.status_code == 200
    assert response.get_json()["checks"]["redis"] == "degraded"
    # The circuit breaker tries Redis again once its cool-down has passed.
    time.sleep(0.2)
    assert app.test_client().get("/readyz").get_json()["checks"]["redis"] == "ok"
    _dispose(app)


@pytest.mark.parametrize("fault", ["kill", "pause"])
def test_readyz_asks_redis_itself_right_after_it_fails(database_url: str, fault: str) -> None:
    # A redis-server of its own: this one is killed.
    server = RedisServer()
    server.start()
    app = make_app(database_url, server.url)
    try:
        client = app.test_client()
        assert client.get("/readyz").get_json()["checks"]["redis"] == "ok"
        # The breaker is closed and no request has seen the failure yet: only a real PING can.
        server.kill() if fault == "kill" else server.pause()
        response = client.get("/readyz")
        assert response.status_code == 200
        assert response.get_json() == {
            "status": "degraded",
            "checks": {"database": "ok", "redis": "degraded"},
        }
    finally:
        server.stop()
        _dispose(app)


def test_readyz_503_on_a_database_that_was_never_migrated(tmp_path: Path) -> None:
    app = make_app(f"sqlite:///{tmp_path}/fresh.sqlite3", "")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert body["checks"]["database"] == "not migrated"
    assert body["type"] == "urn:factcheck:problem:not-ready"
    assert "not migrated" in body["detail"]
    _dispose(app)


def test_readyz_503_when_the_database_is_behind_the_code(tmp_path: Path) -> None:
    app = make_app(f"sqlite:///{tmp_path}/behind.sqlite3", "")
    with app.app_context():
        upgrade()
        assert app.test_client().get("/readyz").status_code == 200
        db.session.execute(text("UPDATE alembic_version SET version_num = '0000'"))
        db.session.commit()
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["database"] == "not migrated"
    _dispose(app)


def test_readyz_503_when_the_sqlite_file_cannot_be_opened(tmp_path: Path) -> None:
    app = make_app(
        f"sqlite:///{tmp_path}/no/such/dir/db.sqlite3", f"redis://127.0.0.1:{free_port()}"
    )
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"] == {"database": "unreachable", "redis": "degraded"}


@pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL", "").startswith("postgres"),
    reason="needs PostgreSQL (TEST_DATABASE_URL)",
)
def test_readyz_503_on_a_missing_postgresql_database(redis_server: RedisServer) -> None:
    url = make_url(os.environ["TEST_DATABASE_URL"]).set(database="factcheck_no_such_database")
    app = make_app(url.render_as_string(hide_password=False), redis_server.url)
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    # Redis answers, but the cache is not trusted until it has replayed the invalidations the
    # database holds, which it cannot read: so the cache is degraded too.
    assert response.get_json()["checks"] == {"database": "unreachable", "redis": "degraded"}
    # Alive all the same: an orchestrator must not restart it for a database outage.
    assert app.test_client().get("/healthz").status_code == 200
    _dispose(app)


def test_probes_are_not_in_the_api_document(client: FlaskClient) -> None:
    paths = client.get("/api/openapi.json").get_json()["paths"]
    assert "/healthz" not in paths and "/readyz" not in paths


def _dispose(app: Flask) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
