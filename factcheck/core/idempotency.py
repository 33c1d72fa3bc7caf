"""Idempotency keys: a retried POST gets the first response back, it never acts twice.

A request's key is reserved before it runs (a row under a unique constraint, so of two identical
requests only one can insert it), its response kept once it succeeded, and the reservation
dropped when it failed, so failed validation stores nothing. The HTTP side is web/idempotency.py.
"""

from dataclasses import dataclass
from datetime import timedelta

from factcheck.problems import Conflict, Unprocessable
from factcheck.storage import records
from factcheck.storage.models import IdempotencyRecord, utcnow

LIFETIME = timedelta(hours=24)
RESERVE_ATTEMPTS = 3


@dataclass(frozen=True)
class StoredResponse:
    status: int
    headers: dict[str, str]
    body: bytes


def reserve(api_key_id: int, key: str, fingerprint: str, header: str) -> int | StoredResponse:
    """The reservation's id for a new request, or the first response for a retry.

    409 while the first request still runs, 422 for another request under the same key.
    `header` names the key in messages.
    """
    for _ in range(RESERVE_ATTEMPTS):
        record_id = records.reserve_idempotency_key(
            IdempotencyRecord(
                api_key_id=api_key_id,
                key=key,
                fingerprint=fingerprint,
                headers={},
                date_created=utcnow(),
            )
        )
        if record_id is not None:
            return record_id
        existing = records.idempotency_record(api_key_id, key)
        if existing is None:
            continue  # the other request failed and let go of the key in between
        if existing.date_created < utcnow() - LIFETIME:
            records.release_idempotency_key(existing.id)
            continue
        if existing.fingerprint != fingerprint:
            raise Unprocessable(f"This {header} was used for another request.")
        if existing.status is None or existing.body is None:
            raise still_running(header)
        return StoredResponse(existing.status, dict(existing.headers), existing.body)
    raise still_running(header)


def complete(record_id: int, status: int, headers: dict[str, str], body: bytes) -> None:
    records.complete_idempotency_key(record_id, status, headers, body)


def release(record_id: int) -> None:
    records.release_idempotency_key(record_id)


def still_running(header: str) -> Conflict:
    return Conflict(
        f"A request with this {header} is still running; retry shortly.",
        headers={"Retry-After": "1"},
    )


def purge() -> int:
    """Forget keys past their 24 hours (`flask purge-idempotency-keys`, e.g. hourly from cron)."""
    return records.purge_idempotency_keys(utcnow() - LIFETIME)
