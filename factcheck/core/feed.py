"""The feed: a schema.org DataFeed of published ClaimReviews in change order, for mirrors."""

from collections.abc import Callable
from typing import Any

from flask import current_app

from factcheck.core import claimreview
from factcheck.core.documents import json_document
from factcheck.core.tokens import decode_token, encode_token
from factcheck.storage import filters, records
from factcheck.storage.documents import Document
from factcheck.storage.filters import Filters
from factcheck.storage.models import RETRACTED, FactCheck


def page(
    since: str | None,
    page_size: int,
    narrowed: Filters = filters.NONE,
    next_page: Callable[[str], str] | None = None,
) -> tuple[Document, str, bool]:
    """A DataFeed page of what changed after cursor `since`: (document, next cursor, full page).
    With filters, only the fact-checks that meet them, as they are now. A full page names the
    next one as `nextPage` (the URL `next_page` makes of the cursor); the last page does not."""
    after = decode_token(since, "f") if since else 0
    rows = records.feed_page(after, page_size, narrowed)
    cursor = encode_token("f", rows[-1][0] if rows else after)
    full = len(rows) == page_size
    document: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "DataFeed",
        "name": f"Fact-checks published at {current_app.config['SITE_URL']}",
    }
    if rows:
        # The page's latest change: the order is by change, so it is the last element's.
        document["dateModified"] = max(check.date_modified for _, check in rows).isoformat()
    document["dataFeedElement"] = [_feed_item(check) for _, check in rows]
    document["nextCursor"] = cursor
    if full and next_page is not None:
        document["nextPage"] = next_page(cursor)
    return json_document(document, "application/ld+json"), cursor, full


def _feed_item(check: FactCheck) -> dict[str, Any]:
    item: dict[str, Any] = {
        "@type": "DataFeedItem",
        "@id": f"{current_app.config['SITE_URL']}/api/v1/fact-checks/{check.id}",
        "dateCreated": check.date_created.isoformat(),
        "dateModified": check.date_modified.isoformat(),
    }
    if check.status == RETRACTED and check.date_retracted is not None:
        item["dateDeleted"] = check.date_retracted.isoformat()
    else:
        item["item"] = claimreview.render(check, current_app.config["SITE_URL"])
    return item
