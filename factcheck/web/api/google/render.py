"""Google's standard query parameters on the v1alpha1 routes: `fields` (a partial response),
`prettyPrint`, `alt=json` and the others every Google API accepts, kept apart from a method's own.
"""

import json
from collections.abc import Mapping
from typing import Any

from flask import Response, current_app, request

from factcheck.problems import BadRequest

# Every Google API takes these (the discovery document's top-level `parameters`).
STANDARD = frozenset(
    {"$.xgafv", "access_token", "alt", "callback", "fields", "key", "oauth_token"}
    | {"prettyPrint", "quotaUser", "uploadType", "upload_protocol"}
)
MAX_FIELDS = 2000

# A field mask: None selects the whole value, a dict the named members of it.
Mask = dict[str, "Mask | None"]


def method_args() -> dict[str, str]:
    """The query parameters that are the method's own, after the standard ones are checked."""
    if request.args.get("alt", "json") != "json":
        raise BadRequest("Only alt=json is served.")
    if request.args.get("prettyPrint", "true").lower() not in ("true", "false", "1", "0"):
        raise BadRequest("prettyPrint is true or false.")
    if "callback" in request.args:
        raise BadRequest("JSONP (callback) is not served.")
    parse_fields(request.args.get("fields", ""))
    return {key: value for key, value in request.args.items() if key not in STANDARD}


def answer(document: Mapping[str, Any], status: int = 200) -> Response:
    """The response of a v1alpha1 method: only `fields` if given, indented unless prettyPrint
    is false."""
    mask = parse_fields(request.args.get("fields", ""))
    selected = select(document, mask) if mask else document
    pretty = request.args.get("prettyPrint", "true").lower() in ("true", "1")
    return json_response(selected, status, pretty)


def json_response(document: Any, status: int, pretty: bool) -> Response:
    if pretty:
        text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    else:
        text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    return current_app.response_class(text, status=status, mimetype="application/json")


def parse_fields(text: str) -> Mask:
    """Google's partial-response syntax: `a,b/c,d(e,f/g)`; `*` is everything at its level."""
    if len(text) > MAX_FIELDS:
        raise BadRequest(f"fields is longer than {MAX_FIELDS} characters.")
    if not text.strip():
        return {}
    mask, rest = _fields(text.replace(" ", ""), 0)
    if rest != len(text.replace(" ", "")):
        raise BadRequest(f"Invalid field selection {text!r}.")
    return mask


def _fields(text: str, at: int) -> tuple[Mask, int]:
    mask: Mask = {}
    while True:
        at = _field(text, at, mask)
        if at < len(text) and text[at] == ",":
            at += 1
            continue
        return mask, at


def _field(text: str, at: int, into: Mask) -> int:
    """One `a/b/c` or `a(...)` at `at`, merged into `into`; the position after it."""
    start = at
    while at < len(text) and text[at] not in ",/()":
        at += 1
    name = text[start:at]
    if not name:
        raise BadRequest(f"Invalid field selection {text!r}.")
    if at < len(text) and text[at] == "/":
        existing = into.get(name, {})
        child: Mask = {} if existing is None else existing
        at = _field(text, at + 1, child)
        # `a,a/b` keeps all of a.
        into[name] = None if existing is None else child
        return at
    if at < len(text) and text[at] == "(":
        inner, at = _fields(text, at + 1)
        if at >= len(text) or text[at] != ")":
            raise BadRequest(f"Invalid field selection {text!r}.")
        existing = into.get(name, {})
        into[name] = None if existing is None else {**existing, **inner}
        return at + 1
    into[name] = None
    return at


def select(value: Any, mask: Mask | None) -> Any:
    """The parts of `value` the mask names; a list is selected item by item."""
    if mask is None:
        return value
    if isinstance(value, list):
        return [select(item, mask) for item in value]
    if not isinstance(value, Mapping):
        return value
    if "*" in mask:
        return {key: select(item, mask.get(key, mask["*"])) for key, item in value.items()}
    return {key: select(value[key], sub) for key, sub in mask.items() if key in value}
