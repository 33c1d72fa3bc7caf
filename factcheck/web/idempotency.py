"""`Idempotency-Key` on POST, the HTTP side: read the header, replay, keep the answer.

Hooked on the API blueprints: `begin` runs before the view and either reserves the key or answers
(replay, 409 while the first still runs, 422 for another request under the same key); `finish`
keeps a successful response for replay and drops the reservation of a failed one. The records are
core/idempotency.py's.
"""

import hashlib
import re
from typing import Any

from flask import Blueprint, Response, current_app, g, request

from factcheck.core import idempotency
from factcheck.problems import BadRequest
from factcheck.web import auth

HEADER = "Idempotency-Key"
# Visible ASCII (RFC 5234 VCHAR), so a key survives every proxy and log unchanged.
KEY_PATTERN = re.compile(r"[\x21-\x7e]{1,255}")
# What a replay repeats besides status and body; the rest (dates, rate limits) is per response.
REPLAYED_HEADERS = ("Content-Type", "Location", "ETag")
REPLAY_MARKER = "Idempotent-Replayed"

DOC: dict[str, Any] = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "schema": {"type": "string", "pattern": r"^[\x21-\x7e]{1,255}$"},
    "description": "Any unique string (1 to 255 visible ASCII characters). Retrying with the same "
    "key and body within 24 hours returns the first response; another body is 422; a retry "
    "while the first request still runs is 409.",
}


def attach(blueprint: Blueprint) -> None:
    """Take Idempotency-Key on every POST of `blueprint`."""
    blueprint.before_request(begin)
    blueprint.after_request(finish)
    blueprint.teardown_request(abandon)


def begin() -> Response | None:
    if request.method != "POST" or HEADER not in request.headers:
        return None
    key = request.headers[HEADER]
    if not KEY_PATTERN.fullmatch(key):
        raise BadRequest(f"{HEADER} must be 1 to 255 visible ASCII characters.")
    actor = auth.actor_from_header()
    if actor is None or actor.key_id is None:
        return None  # the view answers 401; nothing to remember
    reserved = idempotency.reserve(actor.key_id, key, _fingerprint(), HEADER)
    if isinstance(reserved, int):
        g.idempotency_record_id = reserved
        return None
    response = current_app.response_class(
        reserved.body, status=reserved.status, headers=reserved.headers
    )
    response.headers[REPLAY_MARKER] = "true"
    return response


def finish(response: Response) -> Response:
    record_id = g.pop("idempotency_record_id", None)
    if record_id is None:
        return response
    if 200 <= response.status_code < 300:
        headers = {
            name: response.headers[name] for name in REPLAYED_HEADERS if name in response.headers
        }
        idempotency.complete(record_id, response.status_code, headers, response.get_data())
    else:
        idempotency.release(record_id)
    return response


def abandon(_error: BaseException | None) -> None:
    """A request that ended without reaching `finish` must not hold its key forever."""
    record_id = g.pop("idempotency_record_id", None)
    if record_id is not None:
        idempotency.release(record_id)


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for part in (
        request.method.encode(),
        request.path.encode("utf-8", "surrogatepass"),
        request.query_string,
    ):
        digest.update(part + b"\n")
    digest.update(request.get_data(cache=True))
    return digest.hexdigest()
