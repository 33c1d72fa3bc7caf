"""The OpenAPI 3.1 document at /api/openapi.json and a docs page that needs no network."""

import http
import importlib.util
import os
from typing import Any

from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, Flask
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from marshmallow import Schema

from factcheck.schemas.problems import ProblemSchema
from factcheck.web.errors import MEDIA_TYPE as PROBLEM_MEDIA_TYPE


# Swagger UI 5 (the first to render OpenAPI 3.1), served from the flask-swagger-ui wheel so that
# the docs page loads nothing from the network.
def _swagger_ui_dist() -> str:
    spec = importlib.util.find_spec("flask_swagger_ui")
    if spec is None or spec.origin is None:
        raise ImportError("flask-swagger-ui is not installed; `pip install factcheck-service`")
    return os.path.join(os.path.dirname(spec.origin), "dist")


SWAGGER_UI_DIST = _swagger_ui_dist()
blp = Blueprint("docs", __name__, static_folder=SWAGGER_UI_DIST, static_url_path="/api/docs/static")

OPENAPI_SETTINGS = {
    "API_TITLE": "factcheck-service",
    "API_VERSION": "1",
    "OPENAPI_VERSION": "3.1.0",
    "OPENAPI_URL_PREFIX": "/api",
    "OPENAPI_JSON_PATH": "openapi.json",
    "OPENAPI_SWAGGER_UI_PATH": "/docs",
    "OPENAPI_SWAGGER_UI_URL": "/api/docs/static/",
    "OPENAPI_SWAGGER_UI_CONFIG": {"validatorUrl": None},
    "API_SPEC_OPTIONS": {
        "info": {
            "description": "Publish fact-checks as schema.org ClaimReview. Writes need an API key "
            "(`Authorization: Bearer fck_...`); published documents are public.",
        },
        "components": {
            "securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer"}},
        },
    },
}


class ProblemApi(Api):  # type: ignore[misc]  # flask-smorest is untyped
    """flask-smorest documents errors as application/json; ours are problem+json."""

    ERROR_SCHEMA = ProblemSchema

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_MEDIA_TYPE)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Problem details (RFC 9457)", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_MEDIA_TYPE)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, response, lazy=True)


def init_app(app: Flask) -> Api:
    """A new Api per app: flask-smorest keeps the spec on it, and tests build many apps."""
    for key, value in OPENAPI_SETTINGS.items():
        app.config.setdefault(key, value)
    app.register_blueprint(blp)
    plugin = MarshmallowPlugin(schema_name_resolver=schema_name)
    return ProblemApi(app, spec_kwargs={"marshmallow_plugin": plugin})


def schema_name(schema: type[Schema] | Schema) -> str:
    """`FactCheck`, and `FactCheckPatch` for its partial (PATCH) variant."""
    schema_class = schema if isinstance(schema, type) else type(schema)
    name = schema_class.__name__.removesuffix("Schema")
    partial: Any = getattr(schema, "partial", False) if not isinstance(schema, type) else False
    if partial and not name.endswith("Patch"):
        name += "Patch"
    return name
