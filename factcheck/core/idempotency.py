"""Idempotency keys and the answer of a write: a retried POST gets the first response back, it
never acts twice.

A write runs in one transaction with its key's record and the response it answers, rendered
inside that transaction from the row version the write flushed (never re-read after the commit,
when another writer may have moved on). A crash at any instant therefore leaves either nothing
(the retry runs afresh, once) or the complete answer (the retry replays it byte for byte); no
"still running" state outlives a request. Two requests with one key meet at the record's unique
constraint and the second replays the first's answer. A failed request rolls back, so it stores
nothing. The HTTP side is web/idempotency.py and web/writes.py.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

from factcheck.problems import Conflict, Unprocessable
from factcheck.storage import records, store
from factcheck.storage.models import IdempotencyRecord, utcnow

LIFETIME = timedelta(hours=24)
# A duplicate that loses the race finds the first's record, unless that one was purged between.
WRITE_ATTEMPTS = 3

Result = TypeVar("Result")


@dataclass(frozen=True)
class StoredResponse:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Claim:
    """A request's Idempotency-Key: whose, which, and what request it was sent with."""

    api_key_id: int
    key: str
    # sha256 of method, path, query and body: the same key with another request is refused.
    fingerprint: str
    # The header's name, for messages.
    header: str


def write(
    claim: Claim | None,
    work: Callable[[], Result],
    answer: Callable[[Result], StoredResponse],
) -> tuple[StoredResponse, bool]:
    """Run the use case `work` and render its `answer` in one unit of work, keeping the answer
    under the claim's key; or the answer a request with the same key committed first.

    The second item says whether the answer is a replay. `work` joins this unit of work, so
    its result is the flushed, uncommitted row version the answer describes.
    """
    for _ in range(WRITE_ATTEMPTS):
        try:
            return _write_once(claim, work, answer), False
        except records.KeyTaken:
            assert claim is not None
            stored = replay(claim)
            if stored is not None:
                return stored, True
    assert claim is not None
    raise still_running(claim.header)


def _write_once(
    claim: Claim | None,
    work: Callable[[], Result],
    answer: Callable[[Result], StoredResponse],
) -> StoredResponse:
    with store.unit_of_work():
        record = None
        if claim is not None:
            # First, so that a duplicate waits here instead of doing the work a second time.
            record = IdempotencyRecord(
                api_key_id=claim.api_key_id,
                key=claim.key,
                fingerprint=claim.fingerprint,
                headers={},
                date_created=utcnow(),
            )
            records.hold_idempotency_key(record, utcnow() - LIFETIME)
        result = work()
        store.flush()
        response = answer(result)
        if record is not None:
            record.status, record.headers, record.body = (
                response.status,
                response.headers,
                response.body,
            )
    return response


def replay(claim: Claim) -> StoredResponse | None:
    """The answer stored under the claim's key within its lifetime, None when there is none.

    422 when the key came with another request. A record without an answer (left by a version
    of the service that kept it apart from the write) is 409.
    """
    existing = records.idempotency_record(claim.api_key_id, claim.key)
    if existing is None or existing.date_created < utcnow() - LIFETIME:
        return None
    if existing.fingerprint != claim.fingerprint:
        raise Unprocessable(f"This {claim.header} was used for another request.")
    if existing.status is None or existing.body is None:
        raise still_running(claim.header)
    return StoredResponse(existing.status, dict(existing.headers), existing.body)


def still_running(header: str) -> Conflict:
    return Conflict(
        f"A request with this {header} is still running; retry shortly.",
        headers={"Retry-After": "1"},
    )


def purge() -> int:
    """Forget keys past their 24 hours (`flask purge-idempotency-keys`, e.g. hourly from cron)."""
    return records.purge_idempotency_keys(utcnow() - LIFETIME)
