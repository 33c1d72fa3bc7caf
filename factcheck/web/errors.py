"""Every error leaves the service as RFC 9457 problem+json, built by `problem()` alone.

The handlers below run for every exception a view lets out: a `Problem` raised by any layer, an
HTTP error of Werkzeug or flask-smorest (422 from request parsing), a database that cannot be used
(503 with Retry-After), and anything unexpected (500, logged).
"""

import json
from collections.abc import Iterator, Mapping
from http import HTTPStatus
from typing import Any

from flask import Flask, Response, current_app, request
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from factcheck.problems import DatabaseUnavailable, Problem

# Problem types are identifiers, not pages: a URN cannot be mistaken for a link that must resolve.
PROBLEM_TYPE_BASE = "urn:factcheck:problem:"
MEDIA_TYPE = "application/problem+json"
# Long enough for a lock to be released or a connection to be re-established, short enough that
# an editor's retry is not felt as an outage.
DATABASE_RETRY_AFTER = "5"
# The database's errors that say it cannot be used now (locked, refused, silent, pool exhausted),
# as opposed to a query the code got wrong.
DATABASE_FAULTS = (OperationalError, InterfaceError, PoolTimeout)


def problem(
    status: int,
    detail: str | None = None,
    *,
    slug: str | None = None,
    errors: list[dict[str, str]] | None = None,
    warnings: list[dict[str, str]] | None = None,
    headers: Mapping[str, str] | None = None,
    extensions: Mapping[str, Any] | None = None,
    instance: str | None = None,
) -> Response:
    title = HTTPStatus(status).phrase
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + slug if slug else "about:blank",
        "title": title,
        "status": status,
        "detail": detail or title,
        # The path, unless the caller names another (web/request_limits: not an over-long one).
        "instance": request.path if instance is None else instance,
    }
    if errors:
        body["errors"] = errors
    if warnings:
        body["warnings"] = warnings
    # RFC 9457 extension members, e.g. the failed checks of /readyz.
    body.update({key: value for key, value in (extensions or {}).items() if key not in body})
    response = current_app.response_class(
        json.dumps(body, ensure_ascii=False, indent=2) + "\n", status=status, mimetype=MEDIA_TYPE
    )
    response.headers.update(headers or {})
    return response


def pointer(*parts: str | int) -> str:
    """A JSON pointer (RFC 6901) to the given path."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in parts)


def flatten_messages(messages: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[str, str]]:
    """Turn marshmallow's nested error dict into (JSON pointer, message) pairs."""
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            part: str | int = key
            if key == "_schema":
                yield from flatten_messages(value, path)
                continue
            yield from flatten_messages(value, (*path, part))
    elif isinstance(messages, list | tuple):
        for message in messages:
            yield from flatten_messages(message, path)
    else:
        yield pointer(*path), str(messages)


def validation_errors(messages_by_location: Mapping[str, Any]) -> list[dict[str, str]]:
    """Body errors get a `pointer`; query-string and header errors name the `parameter`."""
    errors = []
    for location, messages in messages_by_location.items():
        for where, detail in flatten_messages(messages):
            if location in {"json", "form", "files"}:
                errors.append({"pointer": where or "/", "detail": detail})
            else:
                errors.append({"parameter": where.lstrip("/") or location, "detail": detail})
    return errors


def _handle_problem(error: Problem) -> Response:
    return problem(
        error.status,
        error.detail,
        slug=error.slug,
        errors=error.errors,
        warnings=error.warnings,
        headers=error.headers,
    )


def _handle_http_exception(error: HTTPException) -> Response:
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    messages = data.get("messages")
    # 400 from the routes whose query arguments are all checked (unknown ones included).
    if status in (400, 422) and messages:
        return problem(
            status,
            "The request does not pass validation; see `errors`.",
            slug="validation-error",
            errors=validation_errors(messages),
        )
    headers = {}
    valid_methods = getattr(error, "valid_methods", None)
    if status == 405 and valid_methods:
        headers["Allow"] = ", ".join(valid_methods)
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    detail = data.get("message") or error.description
    return problem(status, detail, headers=headers)


def _handle_database_fault(error: Exception) -> Response:
    # One line, not a traceback: an outage would otherwise fill the log with the same stack.
    current_app.logger.warning("database unavailable: %s", str(error).splitlines()[0])
    return _handle_problem(
        DatabaseUnavailable(
            "The database is unavailable or did not answer in time. Retry after Retry-After "
            "seconds; a POST retried with its Idempotency-Key is never applied twice.",
            headers={"Retry-After": DATABASE_RETRY_AFTER},
        )
    )


def _handle_unexpected(error: Exception) -> Response:
    current_app.logger.exception("unhandled error", exc_info=error)
    return problem(500, "The service failed; the error has been logged.")


def init_app(app: Flask) -> None:
    """Call after flask-smorest's Api.init_app, so that these handlers replace its own."""
    app.register_error_handler(Problem, _handle_problem)
    app.register_error_handler(HTTPException, _handle_http_exception)
    for fault in DATABASE_FAULTS:
        app.register_error_handler(fault, _handle_database_fault)
    app.register_error_handler(Exception, _handle_unexpected)
