"""The JSON API under /api/v1: one blueprint per resource family, each view a few lines that
parse with a schema, make one use-case call and shape the response."""

from flask import Flask
from flask_smorest import Api

from factcheck.web.api import (
    articles,
    audit,
    exports,
    fact_checks,
    feed,
    google,
    imports,
    keys,
    members,
    organizations,
    search,
    webhooks,
)
from factcheck.web.api.blueprint import MAX_ID, IdConverter

# The blueprints the rate limits cover (writes per key, reads per address).
# The desk's administration (members, keys, audit log): admin keys only.
DESK = (members.blp, keys.blp, audit.blp)
# Moving fact-checks in and out of an organization.
TRANSFER = (imports.blp, exports.blp)
LIMITED = (
    organizations.blp,
    articles.blp,
    fact_checks.blp,
    webhooks.blp,
    google.blp,
    *DESK,
    *TRANSFER,
)
# The blueprints of the OpenAPI document (Google's discovery document describes google.blp).
BLUEPRINTS = (
    organizations.blp,
    articles.blp,
    fact_checks.blp,
    webhooks.blp,
    search.blp,
    feed.blp,
    *DESK,
    *TRANSFER,
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
