"""Probes: /healthz (the process answers) and /readyz (it can serve: database usable, Redis asked).

Not in the OpenAPI document: they are for load balancers and orchestrators, not API clients.
"""

from typing import Any

from alembic.script import ScriptDirectory
from flask import Blueprint, Flask, Response, current_app, jsonify
from sqlalchemy import inspect, text
from sqlalchemy.exc import SQLAlchemyError

from factcheck.storage import cache
from factcheck.storage.db import db
from factcheck.web import auth
from factcheck.web.errors import problem

blp = Blueprint("health", __name__)
NO_STORE = {"Cache-Control": "no-store"}
VERSION_TABLE = "alembic_version"


@blp.get("/healthz")
@auth.public
def healthz() -> Response:
    """Alive: answers without touching the database or Redis, so a restart is never caused by
    a dependency being down."""
    response = jsonify(status="ok")
    response.headers.update(NO_STORE)
    return response


@blp.get("/readyz")
@auth.public
def readyz() -> Response:
    checks = {"database": database_state(), "redis": redis_state()}
    if checks["database"] != "ok":
        return problem(
            503,
            f"The database is not usable: {checks['database']}.",
            slug="not-ready",
            headers=NO_STORE,
            extensions={"checks": checks},
        )
    # Redis is a cache: without it the service is slower, not down, so it never fails readiness.
    status = "degraded" if checks["redis"] == "degraded" else "ok"
    response = jsonify(status=status, checks=checks)
    response.headers.update(NO_STORE)
    return response


def redis_state() -> str:
    """`ok`, `disabled` (no REDIS_URL), or `degraded` (reads then come from the database): when
    Redis does not answer a PING now, within the cache's socket timeout, or while the cache is
    still not used (its breaker has yet to trust Redis again, or the namespace is unknown)."""
    state = cache.health()
    if state != "ok":
        return state
    # The breaker only knows what earlier requests saw: Redis may have died since.
    if not cache.ping():
        return "degraded"
    return state


def database_state() -> str:
    """`ok`, `unreachable`, or `not migrated` when it is not at the migrations' head."""
    try:
        # A connection of its own, not the request's session: a failed probe must leave no
        # broken transaction behind for the next request on this thread.
        with db.engine.connect() as connection:
            # What alembic's MigrationContext reads, without its INFO lines on every probe.
            if not inspect(connection).has_table(VERSION_TABLE):
                return "not migrated"
            rows = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}"))
            current = {row[0] for row in rows}
    except SQLAlchemyError:
        return "unreachable"
    return "ok" if current == _script_heads() else "not migrated"


def _script_heads() -> set[str]:
    """The revisions the code expects, read from the migration scripts once per app."""
    heads: set[str] | None = current_app.extensions.get("factcheck.migration_heads")
    if heads is None:
        directory: Any = current_app.extensions["migrate"].directory
        heads = set(ScriptDirectory(directory).get_heads())
        current_app.extensions["factcheck.migration_heads"] = heads
    return heads


def init_app(app: Flask) -> None:
    app.register_blueprint(blp)
