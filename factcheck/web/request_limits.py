"""Over-long request lines and header fields: 414 and 431 as problem+json, from the app.

The server answers these itself, without problem+json, when its own limits trip, so serve.py
sets them above the service's (granian's parser caps a request target at 64 KiB and a request at
100 header fields, so the settings are capped below those) and this hook enforces the service's
limits (MAX_REQUEST_LINE, MAX_HEADER_FIELD_SIZE, MAX_HEADER_FIELDS) first thing in every request,
so the answer is the service's problem+json with its usual headers, logged and counted like any
other.
"""

from typing import Any
from urllib.parse import quote

from flask import Flask, Response, current_app, request

from factcheck.web.errors import problem

# What an over-long path is named in the problem's `instance`.
INSTANCE_PREFIX = 64


def request_line_length(environ: dict[str, Any]) -> int:
    """`METHOD target HTTP/1.1` as it came; the target rebuilt when the server keeps no copy."""
    target = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if not target:
        query = environ.get("QUERY_STRING", "")
        target = quote(environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""))
        target += "?" + query if query else ""
    method, protocol = environ.get("REQUEST_METHOD", ""), environ.get("SERVER_PROTOCOL", "")
    return len(method) + 1 + len(target) + 1 + len(protocol)


def header_fields(environ: dict[str, Any]) -> list[tuple[str, int]]:
    """Each header field with the length of its line (`Name: value`), from the WSGI environ."""
    fields = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            name = key[5:]
        elif key in {"CONTENT_TYPE", "CONTENT_LENGTH"} and value:
            name = key
        else:
            continue
        fields.append((name.replace("_", "-").title(), len(name) + 2 + len(str(value))))
    return fields


def _check() -> Response | None:
    config = current_app.config
    environ = request.environ
    if request_line_length(environ) > config["MAX_REQUEST_LINE"]:
        path = request.path
        shown = path if len(path) <= INSTANCE_PREFIX else path[:INSTANCE_PREFIX] + "..."
        return problem(
            414,
            f"The request line is longer than {config['MAX_REQUEST_LINE']} bytes; send long "
            "input in a request body, or shorten the query.",
            slug="uri-too-long",
            instance=shown,
        )
    fields = header_fields(environ)
    if len(fields) > config["MAX_HEADER_FIELDS"]:
        return problem(
            431,
            f"The request has more than {config['MAX_HEADER_FIELDS']} header fields.",
            slug="request-header-fields-too-large",
        )
    for name, length in fields:
        if length > config["MAX_HEADER_FIELD_SIZE"]:
            return problem(
                431,
                f"The {name} header field is longer than {config['MAX_HEADER_FIELD_SIZE']} bytes.",
                slug="request-header-fields-too-large",
            )
    return None


def init_app(app: Flask) -> None:
    """Register before any other before_request hook, so that nothing reads the headers first."""
    app.before_request(_check)
