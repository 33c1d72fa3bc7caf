"""Google Fact Check Tools' `claims:search`, answered from this service's published fact-checks."""

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import current_app

from factcheck.core import claimreview, search
from factcheck.core.documents import json_document
from factcheck.core.tokens import decode_token, encode_token
from factcheck.problems import BadRequest
from factcheck.storage import filters, search_index, search_rank, store
from factcheck.storage.documents import Document
from factcheck.storage.models import FactCheck, Organization, utcnow


def search_claims(args: dict[str, Any], accepted_languages: Iterable[str] = ()) -> Document:
    """A page of published fact-checks: ranked by BM25 when there is a query, else the latest
    published first. The query is read in `languageCode`, else in the client's Accept-Language."""
    site = args.get("review_publisher_site_filter")
    narrowed = search.filters_of(args)
    if not args.get("query") and not site and not narrowed:
        raise BadRequest(
            "Give `query`, `reviewPublisherSiteFilter` or a filter to list published fact-checks."
        )
    offset = decode_token(args["page_token"], "o") if args.get("page_token") else args["offset"]
    size = args["page_size"]
    code = args.get("language_code")
    lang = search.query_language(code, accepted_languages)
    query = search.parse(args["query"], lang) if args.get("query") else None
    conditions = narrowed.conditions()
    if code:
        conditions.append(filters.language(code))
    if site:
        conditions.append(filters.organizations(_organizations_of_site(site)))
    if args.get("max_age_days"):
        conditions.append(filters.newer_than(utcnow() - timedelta(days=args["max_age_days"])))
    found: Sequence[FactCheck] = []
    if query is None:
        found = search_index.newest(conditions, offset, size + 1)
    elif query:
        ranked = search_rank.ranked(query.terms(), conditions, offset, size + 1)
        found = search_index.fact_checks([fact_check_id for fact_check_id, _ in ranked])
    # Google's proto3 JSON leaves out empty fields, `claims` included when nothing matched.
    document: dict[str, Any] = {}
    if found:
        document["claims"] = [_google_claim(check) for check in found[:size]]
    if len(found) > size:
        document["nextPageToken"] = encode_token("o", offset + size)
    return json_document(document)


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
        "url": claimreview.canonical_url(check, current_app.config["SITE_URL"]),
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
