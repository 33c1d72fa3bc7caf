"""Request bodies are read strictly: JSON only, no NaN or Infinity, no absurd nesting."""

import json
from typing import Any

import flask
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from factcheck.problems import BadRequest, UnsupportedMediaType

MAX_DEPTH = 32


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def loads_strict(data: bytes) -> Any:
    try:
        document = json.loads(data.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise BadRequest("The body is not UTF-8.") from None
    except RecursionError:
        raise BadRequest(f"The JSON body nests deeper than {MAX_DEPTH} levels.") from None
    except ValueError as error:
        # JSONDecodeError, NaN/Infinity, and integers past Python's digit limit all land here.
        raise BadRequest(f"The body is not valid JSON: {error}") from None
    if depth(document) > MAX_DEPTH:
        raise BadRequest(f"The JSON body nests deeper than {MAX_DEPTH} levels.")
    return document


def depth(document: Any) -> int:
    """Nesting depth of a parsed JSON value, without recursion."""
    deepest, stack = 0, [(document, 1)]
    while stack:
        value, level = stack.pop()
        if isinstance(value, dict):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in value.values())
        elif isinstance(value, list):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in value)
    return deepest


class StrictJSONParser(FlaskParser):
    def _raw_load_json(self, req: flask.Request) -> Any:
        if not is_json_request(req):
            raise UnsupportedMediaType("Send the body as application/json.")
        return loads_strict(req.get_data(cache=True))

    def load_json(self, req: flask.Request, schema: Any) -> Any:
        # webargs returns `missing` for an empty body; the schema would then report every
        # required field. A clear single error is kinder.
        if not req.get_data(cache=True):
            if getattr(schema, "body_optional", False):
                return core.missing
            if is_json_request(req):
                raise BadRequest("The request body is empty; send a JSON object.")
        return super().load_json(req, schema)
