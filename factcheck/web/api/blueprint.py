"""What every API resource module shares: the blueprint class, the id converter, OpenAPI snippets
and the public-first read."""

from collections.abc import Callable
from typing import Any

from flask_smorest import Blueprint
from werkzeug.routing import IntegerConverter

from factcheck.core.actors import Actor
from factcheck.problems import NotFound
from factcheck.schemas.fields import MERGE_PATCH
from factcheck.storage.documents import Document
from factcheck.web import auth, idempotency
from factcheck.web.parsing import StrictJSONParser

MAX_ID = 2**31 - 1

IF_MATCH_DOC = {
    "parameters": [
        {
            "in": "header",
            "name": "If-Match",
            "required": True,
            "schema": {"type": "string"},
            "description": "The ETag you last read, or `*`.",
        }
    ]
}
WRITE_DOC = {"security": auth.SECURITY}
POST_DOC = {"security": auth.SECURITY, "parameters": [idempotency.DOC]}
POST_IF_MATCH_DOC = {
    "security": auth.SECURITY,
    "parameters": [*IF_MATCH_DOC["parameters"], idempotency.DOC],
}


def merge_patch_doc(component: str) -> dict[str, Any]:
    """A PATCH body as JSON Merge Patch (RFC 7386): its media type besides application/json,
    whose schema (`component`, registered by `@blp.arguments`) it shares."""
    return {
        "requestBody": {
            "description": "A JSON Merge Patch (RFC 7386): fields left out keep their stored "
            "values, also inside nested objects; `null` removes a field; lists are replaced "
            "whole.",
            "content": {MERGE_PATCH: {"schema": {"$ref": f"#/components/schemas/{component}"}}},
        }
    }


class ApiBlueprint(Blueprint):  # type: ignore[misc]  # flask-smorest is untyped
    """A flask-smorest blueprint under /api/v1 that reads request bodies strictly."""

    ARGUMENTS_PARSER = StrictJSONParser()

    def __init__(self, name: str, import_name: str, description: str) -> None:
        super().__init__(name, import_name, url_prefix="/api/v1", description=description)


class IdConverter(IntegerConverter):
    """Row ids: an id past the database's integer range is simply not found, not an overflow."""

    def __init__(self, url_map: Any) -> None:
        super().__init__(url_map, min=1, max=MAX_ID)


def public_first(read: Callable[[Actor | None], Document]) -> Document:
    """A public document is the same for everyone, so it is served (from the cache, with no
    database query) without looking at the API key; the key only matters for a draft."""
    try:
        return read(None)
    except NotFound:
        actor = auth.actor_from_header()
        if actor is None:
            raise
        return read(actor)
