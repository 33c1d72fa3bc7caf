"""ClaimReview JSON-LD: rendering and the publication profile, as pure functions of stored data.

The one canonical URL of a fact-check is the organization's own page for it (`url`), or, when it
was made without one, this service's page (SITE_URL + /fact-checks/{id}); the ClaimReview `url` and
the service page's rel=canonical are that URL. The site URL is a parameter, never read here.
"""

import re
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

from factcheck.schemas.fact_checks import rating_problems
from factcheck.storage.models import RATING_COLUMNS, Article, FactCheck, Organization

MAX_CLAIM_REVIEWED = 75
# Correction.kind as readers see it (schemas/fact_checks.CORRECTION_KINDS).
CORRECTION_NAMES = {
    "correction": "Correction",
    "clarification": "Clarification",
    "update": "Update",
}


def canonical_url(fact_check: FactCheck, site_url: str) -> str:
    """The organization's page for the fact-check, or else the service's own page."""
    return fact_check.url or service_page(fact_check.id, site_url)


def service_page(fact_check_id: int, site_url: str) -> str:
    return f"{site_url}/fact-checks/{fact_check_id}"


def render(fact_check: FactCheck, site_url: str) -> dict[str, Any]:
    """The ClaimReview for one fact-check, in the order schema.org's examples use."""
    organization = fact_check.organization
    document: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": canonical_url(fact_check, site_url),
        "claimReviewed": fact_check.claim_reviewed,
        "author": _organization(organization),
        # The license of this structured data (Data Commons and DataFeed readers look for it).
        "sdLicense": organization.sd_license,
        "datePublished": _iso(fact_check.date_published),
        "dateModified": _iso(fact_check.date_modified),
        "inLanguage": fact_check.in_language,
        "reviewBody": fact_check.review_body,
        "reviewRating": _rating(fact_check),
        "itemReviewed": _claim(fact_check),
        "citation": [_citation(item) for item in fact_check.evidence],
        "correction": _corrections(fact_check),
    }
    rendered: dict[str, Any] = _without_empty(document)
    return rendered


def preview(fact_check: FactCheck, site_url: str) -> dict[str, Any]:
    """A draft's ClaimReview as it would be published, marked as a draft (schema.org
    creativeWorkStatus), for its own organization: schemas.claimreview.ClaimReviewPreviewSchema."""
    document = render(fact_check, site_url)
    marked = {key: document[key] for key in ("@context", "@type")}
    return {**marked, "creativeWorkStatus": "Draft", **document}


def _organization(organization: Organization) -> dict[str, Any]:
    """The fact-checker as schema.org and Google's ClaimReview guidelines describe an author:
    its name and site, its logo, and the profiles that say who it is (sameAs)."""
    return {
        "@type": "Organization",
        "name": organization.name,
        "url": organization.url,
        "logo": organization.logo,
        "sameAs": list(organization.same_as or []),
    }


def _rating(fact_check: FactCheck) -> dict[str, Any]:
    columns = {name: getattr(fact_check, column) for name, column in RATING_COLUMNS.items()}
    return {"@type": "Rating", **columns}


def _claim(fact_check: FactCheck) -> dict[str, Any]:
    article = _news_article(fact_check.article)
    appearances = [article] + [
        {"@type": "CreativeWork", "url": url} for url in fact_check.claim_appearances or []
    ]
    first = fact_check.claim_first_appearance
    return {
        "@type": "Claim",
        "author": _claim_author(fact_check.claim_author),
        "datePublished": _iso(fact_check.claim_date),
        "appearance": appearances,
        "firstAppearance": {"@type": "CreativeWork", "url": first} if first else article,
    }


def _claim_author(author: dict[str, Any] | None) -> dict[str, Any] | None:
    if not author:
        return None
    return {
        "@type": author.get("kind", "Person"),
        "name": author.get("name"),
        "jobTitle": author.get("job_title"),
        "sameAs": author.get("same_as"),
    }


def _news_article(article: Article) -> dict[str, Any]:
    publisher = article.publisher or {}
    return {
        "@type": "NewsArticle",
        "url": article.url,
        "headline": article.headline,
        "datePublished": _iso(article.date_published),
        "author": {"@type": "Person", "name": article.author} if article.author else None,
        "publisher": {"@type": "Organization", **publisher} if publisher else None,
    }


def _citation(item: dict[str, Any]) -> dict[str, Any]:
    publisher = item.get("publisher")
    return {
        "@type": "CreativeWork",
        "url": item["url"],
        "name": item.get("title"),
        "publisher": {"@type": "Organization", "name": publisher} if publisher else None,
        "datePublished": item.get("date_published"),
        "text": item.get("quote"),
        "archivedAt": item.get("archived_url"),
    }


def _corrections(fact_check: FactCheck) -> list[dict[str, Any]]:
    # A retracted fact-check has no ClaimReview at all (its markup is withdrawn), so a retraction
    # is never one of these.
    # schema.org has one type for all of them; `name` tells readers which kind each one is.
    return [
        {
            "@type": "CorrectionComment",
            "name": CORRECTION_NAMES.get(c.kind, CORRECTION_NAMES["correction"]),
            "text": c.note,
            "datePublished": _iso(c.date_created),
        }
        for c in fact_check.corrections
    ]


def _iso(value: date | datetime | str | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return value.isoformat()


def _without_empty(value: Any) -> Any:
    """Leave out absent properties rather than emit nulls, which crawlers flag."""
    if isinstance(value, dict):
        cleaned = {key: _without_empty(item) for key, item in value.items()}
        return {key: item for key, item in cleaned.items() if item not in (None, [], {})}
    if isinstance(value, list):
        return [_without_empty(item) for item in value]
    return value


def profile_problems(fact_check: FactCheck) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """The §3 validation profile: (errors that block publishing, warnings that do not).

    Pointers name the request fields a newsroom tool can fix.
    """
    errors: list[dict[str, str]] = []
    warnings: list[dict[str, str]] = []
    if not fact_check.claim_reviewed:
        errors.append({"pointer": "/claimReviewed", "detail": "Required to publish."})
    if not fact_check.alternate_name:
        errors.append({"pointer": "/rating/alternateName", "detail": "Required to publish."})
    scale_problems = rating_problems(
        fact_check.rating_value, fact_check.best_rating, fact_check.worst_rating
    )
    errors.extend({"pointer": f"/rating/{key}", "detail": d} for key, d in scale_problems.items())
    if not any(urlsplit(item["url"]).scheme in {"http", "https"} for item in fact_check.evidence):
        errors.append(
            {"pointer": "/evidence", "detail": "At least one evidence item with an http(s) URL."}
        )

    claim = fact_check.claim_reviewed or ""
    if len(claim) > MAX_CLAIM_REVIEWED:
        warnings.append(
            {
                "pointer": "/claimReviewed",
                "detail": f"Longer than {MAX_CLAIM_REVIEWED} characters; search results cut it.",
            }
        )
    rating_words = _rating_words(fact_check.organization)
    found = sorted(
        # Not `\b`: a label may start or end with punctuation ("Pants on fire!").
        word
        for word in rating_words
        if re.search(rf"(?<!\w){re.escape(word)}(?!\w)", claim, re.I)
    )
    if found:
        warnings.append(
            {
                "pointer": "/claimReviewed",
                "detail": f"Contains rating words ({', '.join(found)}); "
                "state the claim, not the verdict.",
            }
        )
    # Without a url of its own the service's page is canonical, which is not meant to be there.
    if fact_check.url and not _same_site(fact_check.url, fact_check.organization.url):
        warnings.append({"pointer": "/url", "detail": "Not on the organization's domain."})
    return errors, warnings


def _rating_words(organization: Organization) -> set[str]:
    scale = organization.rating_scale or {}
    labels = [label["alternateName"] for label in scale.get("labels", [])]
    labels += list(scale.get("offScale", []))
    return {label.lower() for label in labels}


def _same_site(url: str, site_url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    site = (urlsplit(site_url).hostname or "").lower().removeprefix("www.")
    return host == site or host.endswith("." + site)
