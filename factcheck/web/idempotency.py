"""`Idempotency-Key` on POST, the HTTP side: read the header, replay an answer already kept.

Hooked before the views of the API blueprints: `begin` answers a retry whose first request
committed (its stored response, marked `Idempotent-Replayed`), 422 for another request under the
same key, and otherwise leaves the request's `Claim` for web/writes.py, which keeps the answer in
the write's own transaction. The records are core/idempotency.py's.
"""

import hashlib
import re
from typing import Any

from flask import Blueprint, Response, current_app, g, request

from factcheck.core import idempotency
from factcheck.problems import BadRequest
from factcheck.web import auth

HEADER = "Idempotency-Key"
# Visible ASCII (RFC 5234 VCHAR) but the comma, so a key survives every proxy and log unchanged,
# and two header fields, which servers join with commas, cannot pass for one key.
KEY_PATTERN = re.compile(r"[\x21-\x2b\x2d-\x7e]{1,255}")
# What a replay repeats besides status and body; the rest (dates, rate limits) is per response.
REPLAYED_HEADERS = ("Content-Type", "Location", "ETag")
REPLAY_MARKER = "Idempotent-Replayed"

DOC: dict[str, Any] = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "schema": {"type": "string", "pattern": r"^[\x21-\x2b\x2d-\x7e]{1,255}$"},
    "description": "Any unique string (1 to 255 visible ASCII characters, no comma), sent once. "
    "Retrying with the same key and body within 24 hours returns the first response; another "
    "body is 422; a retry while the first request still runs waits for it and replays it.",
}


def attach(blueprint: Blueprint) -> None:
    """Take Idempotency-Key on every POST of `blueprint`."""
    blueprint.before_request(begin)


def begin() -> Response | None:
    if request.method != "POST" or HEADER not in request.headers:
        return None
    # Who before what: a bad key is 401 before the Idempotency-Key is looked at.
    actor = auth.actor_from_header()
    if actor is None or actor.key_id is None:
        return None  # the view answers 401; nothing to remember
    key = request.headers[HEADER]
    if len(request.headers.getlist(HEADER)) != 1 or not KEY_PATTERN.fullmatch(key):
        raise BadRequest(
            f"Send one {HEADER} header of 1 to 255 visible ASCII characters, without a comma."
        )
    claim = idempotency.Claim(actor.key_id, key, _fingerprint(), HEADER)
    stored = idempotency.replay(claim)
    if stored is None:
        g.idempotency_claim = claim
        return None
    return response_of(stored, replay=True)


def current_claim() -> idempotency.Claim | None:
    """The request's Idempotency-Key, when it has one and no answer was kept under it yet."""
    claim: idempotency.Claim | None = g.get("idempotency_claim")
    return claim


def kept(response: Response) -> idempotency.StoredResponse:
    """What a replay of `response` repeats."""
    headers = {
        name: response.headers[name] for name in REPLAYED_HEADERS if name in response.headers
    }
    return idempotency.StoredResponse(response.status_code, headers, response.get_data())


def response_of(stored: idempotency.StoredResponse, replay: bool) -> Response:
    response = current_app.response_class(stored.body, status=stored.status, headers=stored.headers)
    if replay:
        response.headers[REPLAY_MARKER] = "true"
    return response


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
