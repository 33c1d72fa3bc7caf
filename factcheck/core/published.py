"""A public fact-check's documents, rendered once per change and kept in the database with it.

Every change that alters what a fact-check shows the public (publish, correct, retract, an edit
of its article) replaces its stored JSON and ClaimReview in its own unit of work, or removes the
ones it withdraws, so the stored bytes never disagree with the committed data: a crash after the
commit leaves them right. A read that misses the cache (or finds Redis down) is then one
primary-key read of the stored document. Rows missing for data older than migration 0009 are
written by the first public read, under the fact-check's row lock.
"""

import logging
from collections.abc import Callable

from flask import current_app

from factcheck.core import claimreview
from factcheck.core.documents import json_document, serialize, version_etag
from factcheck.schemas.fact_checks import FactCheckSchema
from factcheck.storage import store, stored_documents
from factcheck.storage.cache import names
from factcheck.storage.documents import Document
from factcheck.storage.models import PUBLISHED, UNPUBLISHED, FactCheck

log = logging.getLogger(__name__)

# One instance for every render: building a schema deep-copies its fields (and its nested ones).
_FACT_CHECK = FactCheckSchema()


def fact_check_json(check: FactCheck) -> Document:
    """The fact-check as the API shows it, with its version's ETag; public unless a draft."""
    body = serialize(_FACT_CHECK.dump(check))
    return Document(body, version_etag(check), "application/json", check.status not in UNPUBLISHED)


def claimreview_document(check: FactCheck) -> Document:
    """A published fact-check's ClaimReview."""
    return json_document(claimreview.render(check, site_url()), "application/ld+json")


def site_url() -> str:
    """The public address every absolute link is built on; never the request's Host."""
    return str(current_app.config["SITE_URL"])


def _public_documents(check: FactCheck) -> dict[str, Document | None]:
    """The stored documents of the fact-check by name; None for one it must not have."""
    if check.status in UNPUBLISHED:
        # Never public yet, so never stored; once published a fact-check never goes back.
        return {}
    own = names.fact_check(check.id)
    ld = claimreview_document(check) if check.status == PUBLISHED else None
    return {own.json: fact_check_json(check), own.claimreview: ld}


def keep(check: FactCheck) -> None:
    """Inside the change's unit of work, after its flush: the fact-check's stored documents as
    they now are (a retracted one's ClaimReview goes)."""
    documents = _public_documents(check)
    stored_documents.put_all({name: found for name, found in documents.items() if found})
    stored_documents.drop(name for name, found in documents.items() if found is None)


def keep_organization(organization_id: int) -> None:
    """Inside the unit of work of a change to an organization (its name and URL are each
    ClaimReview's `author`): every public fact-check of it, kept anew. One render per fact-check,
    so a large organization's change is a long write; rows are never dropped to be refilled by
    reads, as a read that rendered before the change could then store what it rendered."""
    for check in stored_documents.public_fact_checks_of_organization(organization_id):
        keep(check)


def served(name: str, fact_check_id: int, build: Callable[[], Document]) -> Document:
    """The stored document `name` of the fact-check; else `build` it, and store it for the next
    read when it is public (only data from before migration 0009 lacks its row)."""
    stored = stored_documents.get(name)
    if stored is not None:
        return stored
    document = build()
    if document.public:
        _backfill(fact_check_id)
    return document


def _backfill(fact_check_id: int) -> None:
    """Store the fact-check's documents as committed now. The row lock (or SQLite's write lock)
    orders this after any writer of the fact-check, and a writer's row is never overwritten."""
    try:
        with store.unit_of_work():
            check = stored_documents.fact_check_for_update(fact_check_id)
            if check is None:
                return
            for name, document in _public_documents(check).items():
                if document is not None:
                    stored_documents.put_if_absent(name, document)
    except Exception as error:
        # The reader has its document; the next miss renders again and retries.
        log.warning("could not store the documents of fact-check %s: %s", fact_check_id, error)
