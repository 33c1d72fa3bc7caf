"""factcheck-service: publish fact-checks as schema.org ClaimReview.

The package in three layers, imported one way only (web -> core -> storage):
  web/       HTTP: the JSON API, pages, responses, errors, auth, limits, logs, metrics
  core/      what the product does: use cases, ClaimReview rendering, search rules
  storage/   where state lives: database session and models, the Redis cache
  schemas/   the wire format (marshmallow), used by web and core
  jobs/      background work on huey: webhook deliveries
"""

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask

from factcheck import cli, jobs, settings, storage, web
from factcheck.storage.db import engine_options


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    # The pages' stylesheet is the app's static folder, so it stays at /static/pages.css.
    app = Flask(__name__, instance_relative_config=True, static_folder="web/pages/static")
    # Tests pass their settings whole; only a real start reads the environment.
    environ: dict[str, str] | None = None if config is None else {}
    app.config.from_mapping(settings.from_env(environ, app.instance_path))
    app.config.from_mapping(config or {})
    settings.validate(app.config)
    _configure(app)
    storage.init_app(app)
    web.init_app(app)
    cli.init_app(app)
    jobs.init_app(app)
    return app


def _configure(app: Flask) -> None:
    app.config.update(
        SQLALCHEMY_DATABASE_URI=settings.sqlalchemy_url(app.config["DATABASE_URL"]),
        SQLALCHEMY_ENGINE_OPTIONS=engine_options(app.config),
    )
    # Werkzeug answers 413 past this before the body is read.
    if app.config.get("MAX_CONTENT_LENGTH") is None:
        app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.compact = False  # type: ignore[attr-defined]
    if app.config["DATABASE_URL"].startswith("sqlite:///"):
        os.makedirs(app.instance_path, exist_ok=True)
