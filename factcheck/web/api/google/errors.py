"""Google's JSON error shape on the v1alpha1 routes: `{"error": {"code", "message", "status"}}`,
with a google.rpc.BadRequest detail naming each field that failed. Google's clients show
`error.message`; problem+json stays the shape of every other route.

The handlers are the blueprint's own, so Flask picks them before the app's for any error a
v1alpha1 view lets out; a path under /v1alpha1 that matches no route is answered by
`unmatched`, before routing's 404 or 405 reaches the app's handlers.
"""

from typing import Any

from flask import Blueprint, Response, current_app, request
from flask_limiter import RateLimitExceeded
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from factcheck.core.google_pages import AlreadyExists
from factcheck.problems import Conflict, PreconditionFailed, Problem
from factcheck.web.api.google.render import json_response

PREFIX = "/v1alpha1/"
BAD_REQUEST_TYPE = "type.googleapis.com/google.rpc.BadRequest"

# HTTP statuses as google.rpc.Code names them (and the HTTP status each code maps back to).
CODES: dict[int, tuple[int, str]] = {
    400: (400, "INVALID_ARGUMENT"),
    401: (401, "UNAUTHENTICATED"),
    403: (403, "PERMISSION_DENIED"),
    404: (404, "NOT_FOUND"),
    405: (404, "NOT_FOUND"),
    409: (409, "ALREADY_EXISTS"),
    410: (404, "NOT_FOUND"),
    # A stale version: AIP-154 answers ABORTED, read again and retry the read-modify-write.
    412: (409, "ABORTED"),
    413: (400, "INVALID_ARGUMENT"),
    415: (400, "INVALID_ARGUMENT"),
    422: (400, "INVALID_ARGUMENT"),
    428: (400, "INVALID_ARGUMENT"),
    429: (429, "RESOURCE_EXHAUSTED"),
    501: (501, "UNIMPLEMENTED"),
    503: (503, "UNAVAILABLE"),
}


def google_error(
    status: int,
    message: str,
    violations: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    code: tuple[int, str] | None = None,
) -> Response:
    http_status, name = code or CODES.get(status, (500, "INTERNAL"))
    error: dict[str, Any] = {"code": http_status, "message": message, "status": name}
    if violations:
        error["details"] = [{"@type": BAD_REQUEST_TYPE, "fieldViolations": violations}]
    response = json_response({"error": error}, http_status, pretty=True)
    response.headers.update(headers or {})
    return response


def field_path(pointer: str) -> str:
    """A JSON pointer as Google names a field: `/claimReviewMarkups/0/url` is
    `claimReviewMarkups[0].url`."""
    path = ""
    for part in pointer.strip("/").split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        path += f"[{part}]" if part.isdigit() else (f".{part}" if path else part)
    return path


def _violations(errors: list[dict[str, str]] | None) -> list[dict[str, str]]:
    return [
        {"field": field_path(item.get("pointer") or item.get("parameter") or ""), "description": d}
        for item in errors or []
        if (d := item.get("detail", ""))
    ]


def _handle_problem(error: Problem) -> Response:
    code = None
    if isinstance(error, AlreadyExists):
        code = (409, "ALREADY_EXISTS")
    elif isinstance(error, PreconditionFailed):
        code = (409, "ABORTED")
    elif isinstance(error, Conflict):
        # The state forbids it (a retracted fact-check, say): retrying will not help.
        code = (400, "FAILED_PRECONDITION")
    message = error.detail
    violations = _violations(error.errors)
    if violations:
        message = "; ".join(f"{v['field']}: {v['description']}" for v in violations)
    return google_error(error.status, message, violations, error.headers, code)


def _handle_http(error: HTTPException) -> Response:
    status = error.code or 500
    if status in (404, 405):
        return google_error(404, "Method not found.")
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return google_error(status, error.description or "", headers=headers)


def _handle_rate_limit(error: RateLimitExceeded) -> Response:
    return google_error(429, f"Quota exceeded: {error.limit.limit}; retry after Retry-After.")


def _handle_unexpected(error: Exception) -> Response:
    current_app.logger.exception("unhandled error", exc_info=error)
    return google_error(500, "Internal error encountered.")


def unmatched() -> Response | None:
    """A request under /v1alpha1 that matched no route (or not with its method)."""
    missing = request.routing_exception
    if isinstance(missing, NotFound | MethodNotAllowed) and request.path.startswith(PREFIX):
        return google_error(404, "Method not found.")
    return None


def init_blueprint(blueprint: Blueprint) -> None:
    blueprint.register_error_handler(Problem, _handle_problem)
    blueprint.register_error_handler(RateLimitExceeded, _handle_rate_limit)
    blueprint.register_error_handler(HTTPException, _handle_http)
    blueprint.register_error_handler(Exception, _handle_unexpected)
    blueprint.before_app_request(unmatched)
