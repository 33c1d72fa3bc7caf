"""Exports: an organization's published fact-checks as CSV, or as a schema.org DataFeed of the
ClaimReviews the service serves, written piece by piece so that memory stays constant.

Each function checks who asks before it returns; the text comes from the generator it returns.
"""

import csv
import io
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from factcheck.core import claimreview
from factcheck.core.actors import Actor
from factcheck.core.imports import organization_of
from factcheck.core.reads import site_url
from factcheck.storage import exports
from factcheck.storage.models import FactCheck

PAGE_SIZE = 500
# The CSV's columns, in order (README, "Import and export").
CSV_COLUMNS = (
    "id",
    "url",
    "claimReviewed",
    "claimAuthor",
    "claimAuthorType",
    "claimDate",
    "ratingValue",
    "bestRating",
    "worstRating",
    "alternateName",
    "ratingExplanation",
    "reviewBody",
    "inLanguage",
    "articleUrl",
    "articleHeadline",
    "articlePublisher",
    "evidenceUrls",
    "corrections",
    "datePublished",
    "dateModified",
)
# A cell a spreadsheet would run as a formula starts with one of these (OWASP, CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_export(actor: Actor, slug: str) -> Iterator[str]:
    organization = organization_of(actor, slug)
    return _csv_lines(organization.id)


def _csv_lines(organization_id: int) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def line(cells: list[Any]) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(cells)
        return buffer.getvalue()

    yield line(list(CSV_COLUMNS))
    for page in exports.published_pages(organization_id, PAGE_SIZE):
        for check in page:
            yield line([_cell(value) for value in csv_row(check)])


def csv_row(check: FactCheck) -> list[Any]:
    author = check.claim_author or {}
    article = check.article
    return [
        check.id,
        claimreview.canonical_url(check, site_url()),
        check.claim_reviewed,
        author.get("name"),
        author.get("kind") if author else None,
        check.claim_date.isoformat() if check.claim_date else None,
        check.rating_value,
        check.best_rating,
        check.worst_rating,
        check.alternate_name,
        check.rating_explanation,
        check.review_body,
        check.in_language,
        article.url,
        article.headline,
        (article.publisher or {}).get("name"),
        " ".join(item["url"] for item in check.evidence),
        len(check.corrections),
        _iso(check.date_published),
        _iso(check.date_modified),
    ]


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return "" if value is None else value


def jsonld_export(actor: Actor, slug: str) -> Iterator[str]:
    organization = organization_of(actor, slug)
    return _feed_text(organization.id, organization.name)


def _feed_text(organization_id: int, name: str) -> Iterator[str]:
    """A DataFeed whose dataFeedElement are the ClaimReviews as /claimreview serves them; its
    dateModified (the latest of theirs) comes last, once every element is written."""
    head = {"@context": "https://schema.org", "@type": "DataFeed", "name": f"{name}: fact-checks"}
    yield json.dumps(head, ensure_ascii=False)[:-1] + ', "dataFeedElement": ['
    latest: datetime | None = None
    separator = "\n"
    for page in exports.published_pages(organization_id, PAGE_SIZE):
        for check in page:
            document = claimreview.render(check, site_url())
            yield separator + json.dumps(document, ensure_ascii=False)
            separator = ",\n"
            latest = max(latest, check.date_modified) if latest else check.date_modified
    modified = f', "dateModified": {json.dumps(_iso(latest))}' if latest else ""
    yield f"\n]{modified}}}\n"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
