"""Finding and mirroring published fact-checks: claim search, similar claims, the feed.

Use cases like service.py's, with no Flask request in here.
"""

import base64
import binascii
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import current_app

from . import claimreview, search, service, store
from .errors import BadRequest
from .models import RETRACTED, FactCheck, Organization, utcnow

# Similar claims: how many full-text candidates to score, and the least score worth showing.
MATCH_CANDIDATES = 50
MIN_MATCH_SCORE = 0.2


# --- claims:search, in Google Fact Check Tools' shape -----------------------------------------


def search_claims(args: dict[str, Any]) -> service.Document:
    site = args.get("review_publisher_site_filter")
    if not args.get("query") and not site:
        raise BadRequest("Give `query`, or `reviewPublisherSiteFilter` to list one publisher.")
    offset = decode_token(args["page_token"], "o") if args.get("page_token") else args["offset"]
    size = args["page_size"]
    query = search.parse(args["query"]) if args.get("query") else None
    published_since, claimed_since = None, None
    if args.get("max_age_days"):
        published_since = utcnow() - timedelta(days=args["max_age_days"])
        claimed_since = published_since.date()
    found: Sequence[FactCheck] = []
    if query is None or query:
        found = store.search_published(
            query,
            offset,
            size + 1,
            language=_primary_language(args.get("language_code")),
            organization_ids=_organizations_of_site(site) if site else None,
            published_since=published_since,
            claimed_since=claimed_since,
        )
    # Google's proto3 JSON leaves out empty fields, `claims` included when nothing matched.
    document: dict[str, Any] = {}
    if found:
        document["claims"] = [_google_claim(check) for check in found[:size]]
    if len(found) > size:
        document["nextPageToken"] = encode_token("o", offset + size)
    return _json(document, "application/json")


def _primary_language(code: str | None) -> str | None:
    # Google: "we do not currently consider the region".
    return code.split("-")[0].lower() if code else None


def _organizations_of_site(site: str) -> list[int]:
    wanted = _host(site if "://" in site else "//" + site)
    return [o.id for o in store.organizations() if _on_site(_host(o.url), wanted)]


def _host(url: str) -> str:
    try:
        host = urlsplit(url.strip()).hostname or ""
    except ValueError:
        host = ""
    return host.lower().removeprefix("www.")


def _on_site(host: str, site: str) -> bool:
    return bool(site) and (host == site or host.endswith("." + site))


def _google_claim(check: FactCheck) -> dict[str, Any]:
    organization: Organization = check.organization
    review = {
        "publisher": {"name": organization.name, "site": _host(organization.url)},
        "url": check.url,
        # No separate page title is stored; the claim summary is what the page is about.
        "title": check.claim_reviewed,
        "reviewDate": _timestamp(check.date_published),
        "textualRating": check.alternate_name,
        "languageCode": check.in_language,
    }
    claim = {
        "text": check.claim_reviewed,
        "claimant": (check.claim_author or {}).get("name"),
        "claimDate": _timestamp(check.claim_date),
        "claimReview": [{k: v for k, v in review.items() if v is not None}],
    }
    return {key: value for key, value in claim.items() if value is not None}


def _timestamp(value: date | datetime | None) -> str | None:
    """RFC 3339, as protobuf's Timestamp is written in JSON."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(), UTC)
    return value.astimezone(UTC).isoformat(timespec="seconds")


# --- has this been checked? -------------------------------------------------------------------


def similar(text: str, limit: int) -> list[dict[str, Any]]:
    """Published fact-checks whose claim or quote resembles `text`, most alike first."""
    query = search.any_word(text)
    if not query:
        return []
    candidates = store.search_published(query, 0, MATCH_CANDIDATES)
    wanted = trigrams(text)
    scored = [
        (max(similarity(wanted, trigrams(c.claim_reviewed)), _quote_score(wanted, c)), c)
        for c in candidates
    ]
    scored = [pair for pair in scored if pair[0] >= MIN_MATCH_SCORE]
    scored.sort(key=lambda pair: (-pair[0], -pair[1].id))
    return [{"score": round(score, 3), "fact_check": c} for score, c in scored[:limit]]


def _quote_score(wanted: frozenset[str], check: FactCheck) -> float:
    return similarity(wanted, trigrams(check.quote)) if check.quote else 0.0


def trigrams(text: str) -> frozenset[str]:
    """pg_trgm's trigrams: each lower-cased word padded with two spaces before, one after."""
    grams: set[str] = set()
    for word in search.WORD.findall(text.lower()):
        padded = f"  {word} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return frozenset(grams)


def similarity(first: frozenset[str], second: frozenset[str]) -> float:
    if not first or not second:
        return 0.0
    return len(first & second) / len(first | second)


# --- the feed -----------------------------------------------------------------------------------


def feed(since: str | None, page_size: int) -> tuple[service.Document, str, bool]:
    """A DataFeed page of what changed after cursor `since`: (document, next cursor, full page)."""
    after = decode_token(since, "f") if since else 0
    rows = store.feed_page(after, page_size)
    cursor = encode_token("f", rows[-1][0] if rows else after)
    document = {
        "@context": "https://schema.org",
        "@type": "DataFeed",
        "dataFeedElement": [_feed_item(check) for _, check in rows],
        "nextCursor": cursor,
    }
    return _json(document, "application/ld+json"), cursor, len(rows) == page_size


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
        item["item"] = claimreview.render(check)
    return item


# --- opaque tokens ------------------------------------------------------------------------------


def encode_token(kind: str, number: int) -> str:
    return base64.urlsafe_b64encode(f"{kind}{number}".encode()).decode().rstrip("=")


def decode_token(token: str, kind: str) -> int:
    """The number inside a token this service issued; 400 for anything else."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raw = ""
    number = raw[len(kind) :]
    if not raw.startswith(kind) or not number.isdigit() or len(number) > 18:
        raise BadRequest("The page token or cursor is not one this service issued.")
    return int(number)


def _json(document: dict[str, Any], media_type: str) -> service.Document:
    body = service.serialize(document)
    return service.Document(body, service.content_etag(body), media_type)
