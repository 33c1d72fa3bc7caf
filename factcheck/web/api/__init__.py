"""The JSON API under /api/v1: one blueprint per resource family, each view a few lines that
parse with a schema, make one use-case call and shape the response."""

from flask import Flask
from flask_smorest import Api

from factcheck.web.api import (
    articles,
    exports,
    fact_checks,
    feed,
    google,
    imports,
    organizations,
    search,
    webhooks,
)
from factcheck.web.api.blueprint import MAX_ID, IdConverter

# The blueprints the rate limits cover (writes per key, reads per address).
LIMITED = (
    organizations.blp,
    articles.blp,
    fact_checks.blp,
    webhooks.blp,
    google.blp,
    imports.blp,
    exports.blp,
)
# The blueprints of the OpenAPI document (Google's discovery document describes google.blp).
BLUEPRINTS = (
    organizations.blp,
    articles.blp,
    fact_checks.blp,
    webhooks.blp,
    search.blp,
    feed.blp,
    imports.blp,
    exports.blp,
)


def init_app(app: Flask, openapi: Api) -> None:
    app.url_map.converters["id"] = IdConverter
    openapi.register_converter(
        IdConverter, lambda _converter: {"type": "integer", "minimum": 1, "maximum": MAX_ID}
    )
    for blueprint in BLUEPRINTS:
        openapi.register_blueprint(blueprint)
    # Google's v1alpha1 surface is described by Google's discovery document, not the OpenAPI one.
    app.register_blueprint(google.blp)
