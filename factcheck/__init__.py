"""factcheck-service: publish fact-checks as schema.org ClaimReview."""

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask

from . import (
    api,
    cache,
    cli,
    cors,
    docs,
    documents,
    errors,
    health,
    limits,
    logs,
    metrics,
    pages,
    settings,
)
from .db import db, migrate

MIGRATIONS = __path__[0] + "/migrations"


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    # Tests pass their settings whole; only a real start reads the environment.
    environ: dict[str, str] | None = None if config is None else {}
    app.config.from_mapping(settings.from_env(environ, app.instance_path))
    app.config.from_mapping(config or {})
    settings.validate(app.config)
    _configure(app)
    logs.init_app(app)

    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS)
    cache.init_app(app)
    documents.init_app(app)
    api.init_app(app, docs.init_app(app))
    pages.init_app(app)
    errors.init_app(app)
    limits.init_app(app, api.blp)
    cors.init_app(app)
    cli.init_app(app)
    health.init_app(app)
    metrics.init_app(app)  # last: it wraps the routes registered above
    return app


def _configure(app: Flask) -> None:
    app.config.update(
        SQLALCHEMY_DATABASE_URI=settings.sqlalchemy_url(app.config["DATABASE_URL"]),
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
    )
    # Werkzeug answers 413 past this before the body is read.
    if app.config.get("MAX_CONTENT_LENGTH") is None:
        app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.compact = False  # type: ignore[attr-defined]
    if app.config["DATABASE_URL"].startswith("sqlite:///"):
        os.makedirs(app.instance_path, exist_ok=True)
