"""`Idempotency-Key` on POST: a retried request gets the first response back, it never acts twice.

Hooked on the API blueprint: `begin` runs before the view and either reserves the key or answers
(replay, 409 while the first still runs, 422 for another request under the same key); `finish`
keeps a successful response for replay and drops the reservation of a failed one, so failed
validation stores nothing.
"""

import hashlib
import re
from datetime import timedelta
from typing import Any

from flask import Response, current_app, g, request

from . import auth, store
from .errors import BadRequest, Conflict, Unprocessable
from .models import IdempotencyRecord, utcnow

HEADER = "Idempotency-Key"
# Visible ASCII (RFC 5234 VCHAR), so a key survives every proxy and log unchanged.
KEY_PATTERN = re.compile(r"[\x21-\x7e]{1,255}")
LIFETIME = timedelta(hours=24)
# What a replay repeats besides status and body; the rest (dates, rate limits) is per response.
REPLAYED_HEADERS = ("Content-Type", "Location", "ETag")
REPLAY_MARKER = "Idempotent-Replayed"
RESERVE_ATTEMPTS = 3

DOC: dict[str, Any] = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "schema": {"type": "string", "pattern": r"^[\x21-\x7e]{1,255}$"},
    "description": "Any unique string (1 to 255 visible ASCII characters). Retrying with the same "
    "key and body within 24 hours returns the first response; another body is 422; a retry "
    "while the first request still runs is 409.",
}


def begin() -> Response | None:
    if request.method != "POST" or HEADER not in request.headers:
        return None
    key = request.headers[HEADER]
    if not KEY_PATTERN.fullmatch(key):
        raise BadRequest(f"{HEADER} must be 1 to 255 visible ASCII characters.")
    actor = auth.actor_from_header()
    if actor is None or actor.key_id is None:
        return None  # the view answers 401; nothing to remember
    fingerprint = _fingerprint()
    for _ in range(RESERVE_ATTEMPTS):
        record_id = store.reserve_idempotency_key(
            IdempotencyRecord(
                api_key_id=actor.key_id,
                key=key,
                fingerprint=fingerprint,
                headers={},
                date_created=utcnow(),
            )
        )
        if record_id is not None:
            g.idempotency_record_id = record_id
            return None
        existing = store.idempotency_record(actor.key_id, key)
        if existing is None:
            continue  # the other request failed and let go of the key in between
        if existing.date_created < utcnow() - LIFETIME:
            store.release_idempotency_key(existing.id)
            continue
        if existing.fingerprint != fingerprint:
            raise Unprocessable(f"This {HEADER} was used for another request.")
        if existing.status is None:
            raise _still_running()
        return _replay(existing)
    raise _still_running()


def finish(response: Response) -> Response:
    record_id = g.pop("idempotency_record_id", None)
    if record_id is None:
        return response
    if 200 <= response.status_code < 300:
        headers = {
            name: response.headers[name] for name in REPLAYED_HEADERS if name in response.headers
        }
        store.complete_idempotency_key(
            record_id, response.status_code, headers, response.get_data()
        )
    else:
        store.release_idempotency_key(record_id)
    return response


def abandon(_error: BaseException | None) -> None:
    """A request that ended without reaching `finish` must not hold its key forever."""
    record_id = g.pop("idempotency_record_id", None)
    if record_id is not None:
        store.release_idempotency_key(record_id)


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


def _replay(record: IdempotencyRecord) -> Response:
    response = current_app.response_class(record.body, status=record.status, headers=record.headers)
    response.headers[REPLAY_MARKER] = "true"
    return response


def _still_running() -> Conflict:
    return Conflict(
        f"A request with this {HEADER} is still running; retry shortly.",
        headers={"Retry-After": "1"},
    )


def purge() -> int:
    """Forget keys past their 24 hours (`flask purge-idempotency-keys`, e.g. hourly from cron)."""
    return store.purge_idempotency_keys(utcnow() - LIFETIME)
