"""Google's ClaimReviewMarkup and this service's fact-checks, each written as the other: pure
functions of stored data, like core/claimreview.py.

A markup is one fact-check of the page's organization. Its `claimAppearances` begin with the
checked article's URL (when the article has one), then the fact-check's other appearances. Google's
shape has no citations, type of claimant or language, so fact-checks made from markup cite their
own page, name a Person and are in English; claimant and rating images and `claimLocation` are
accepted and not kept (there is nowhere to keep them).
"""

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urldefrag

from factcheck.core import claimreview
from factcheck.core.urls import normalize
from factcheck.problems import Unprocessable
from factcheck.storage.models import PUBLISHED, FactCheck

# Native wire names (FactCheckSchema) as Google calls them, for error pointers.
GOOGLE_NAMES = {"alternateName": "textualRating"}
# Accepted in a markup, kept nowhere.
NOT_KEPT = frozenset({"image_url", "claim_location"})


def page_key(fact_check: FactCheck) -> str | None:
    """The normalised URL of the page a fact-check is on: its own URL without the fragment."""
    return fact_check.url_key.partition("#")[0] if fact_check.url_key else None


def page_url(fact_check: FactCheck, site_url: str) -> str:
    return urldefrag(claimreview.canonical_url(fact_check, site_url)).url


def version_id(members: Iterable[FactCheck]) -> str:
    """Changes whenever any fact-check of the page changes (each write moves its version)."""
    versions = ",".join(f"{check.id}:{check.version}" for check in members)
    return hashlib.sha256(versions.encode()).hexdigest()[:20]


def page(page_id: int, members: Sequence[FactCheck], site_url: str) -> dict[str, Any]:
    """A ClaimReviewMarkupPage, with the names of schemas/google.py (snake_case)."""
    published = [check for check in members if check.status == PUBLISHED]
    organization = published[0].organization
    dates = [check.date_published for check in published if check.date_published]
    return {
        "name": f"pages/{page_id}",
        "page_url": page_url(published[0], site_url),
        "publish_date": min(dates) if dates else None,
        "claim_review_author": {"name": organization.name, "image_url": organization.logo},
        "claim_review_markups": [markup(check, site_url) for check in published],
        "version_id": version_id(members),
    }


def markup(check: FactCheck, site_url: str) -> dict[str, Any]:
    author = check.claim_author or {}
    rating = check.rating
    return {
        "claim_reviewed": check.claim_reviewed,
        "claim_author": {
            "name": author["name"],
            "job_title": author.get("job_title"),
            "same_as": (author.get("same_as") or [None])[0],
        }
        if author
        else None,
        "claim_date": check.claim_date,
        "claim_appearances": appearances(check),
        "claim_first_appearance": check.claim_first_appearance,
        "url": claimreview.canonical_url(check, site_url),
        "rating": {
            "textual_rating": rating["alternate_name"],
            "rating_value": rating["rating_value"],
            "best_rating": rating["best_rating"],
            "worst_rating": rating["worst_rating"],
            "rating_explanation": rating["rating_explanation"],
        }
        if rating
        else None,
    }


def appearances(check: FactCheck) -> list[str]:
    article = check.article
    own = [article.url] if article.url else []
    return own + [url for url in check.claim_appearances or [] if normalize(url) != article.url_key]


def fact_check_fields(
    given: Mapping[str, Any], article_url_key: str | None, stored: FactCheck | None = None
) -> dict[str, Any]:
    """A markup as FactCheckSchema's input (its wire names). On an update (`stored`), what Google's
    shape cannot say is kept: the claimant's type and further sameAs links."""
    author = given.get("claim_author")
    stored_author = (stored.claim_author if stored else None) or {}
    wire: dict[str, Any] = {
        "claimReviewed": given["claim_reviewed"],
        "claimAuthor": _claim_author(author, stored_author) if author else None,
        "claimDate": given["claim_date"].isoformat() if given.get("claim_date") else None,
        "claimAppearances": [
            url for url in given.get("claim_appearances") or [] if normalize(url) != article_url_key
        ],
        "claimFirstAppearance": given.get("claim_first_appearance"),
        "rating": _rating(given["rating"]) if given.get("rating") else None,
    }
    return wire


def _claim_author(given: Mapping[str, Any], stored: Mapping[str, Any]) -> dict[str, Any]:
    same_as = stored.get("same_as") or []
    if given.get("same_as") is None:
        same_as = []
    elif not same_as or same_as[0] != given["same_as"]:
        same_as = [given["same_as"]]
    kind = stored.get("kind", "Person") if stored.get("name") == given["name"] else "Person"
    author = {"name": given["name"], "type": kind, "jobTitle": given.get("job_title")}
    if same_as:
        author["sameAs"] = same_as
    return {key: value for key, value in author.items() if value is not None}


def _rating(given: Mapping[str, Any]) -> dict[str, Any]:
    rating = {
        "alternateName": given.get("textual_rating"),
        "ratingValue": given.get("rating_value"),
        "bestRating": given.get("best_rating"),
        "worstRating": given.get("worst_rating"),
        "ratingExplanation": given.get("rating_explanation"),
    }
    return {key: value for key, value in rating.items() if value is not None}


def changed_names(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """Google's names of the markup fields that differ, for a correction note."""
    names = {
        "claim_reviewed": "claimReviewed",
        "claim_author": "claimAuthor",
        "claim_date": "claimDate",
        "claim_appearances": "claimAppearances",
        "claim_first_appearance": "claimFirstAppearance",
        "rating": "rating",
    }
    mine, theirs = comparable(before), comparable(after)
    return [name for key, name in names.items() if mine.get(key) != theirs.get(key)]


def comparable(value: Any) -> Any:
    """A markup as far as it is kept: no empty fields, none of those that are not stored."""
    if isinstance(value, Mapping):
        kept = {k: comparable(v) for k, v in value.items() if k not in NOT_KEPT}
        return {k: v for k, v in kept.items() if v not in (None, [], {}, "")}
    if isinstance(value, list):
        return [comparable(item) for item in value]
    return value


def google_pointer(native: str, prefix: str) -> str:
    """`/rating/alternateName` of FactCheckSchema as `<prefix>/rating/textualRating`."""
    parts = [GOOGLE_NAMES.get(part, part) for part in native.split("/")[1:]]
    return prefix + "".join("/" + part for part in parts)


# --- which markup is which fact-check, and the URL of each new one ---------------------------


def match(
    given: list[tuple[int, Mapping[str, Any]]], published: Mapping[str | None, FactCheck]
) -> tuple[dict[int, tuple[Mapping[str, Any], FactCheck]], list[tuple[int, Mapping[str, Any]]]]:
    """Markups that name a published fact-check of the page (by `url`), and the new ones. One
    markup without a url is the page URL's own fact-check, as Google defaults `url` to it."""
    matched: dict[int, tuple[Mapping[str, Any], FactCheck]] = {}
    new = []
    for index, entry in given:
        key = normalize(entry["url"], keep_fragment=True) if entry.get("url") else None
        check = published.get(key) if key else None
        if check is not None and all(c.id != check.id for _, c in matched.values()):
            matched[index] = (entry, check)
        else:
            new.append((index, entry))
    bare = [(index, entry) for index, entry in new if not entry.get("url")]
    page_own = next((c for k, c in published.items() if k and "#" not in k), None)
    if len(bare) == 1 and page_own and all(c.id != page_own.id for _, c in matched.values()):
        matched[bare[0][0]] = (bare[0][1], page_own)
        new.remove(bare[0])
    return matched, new


def urls(
    url: str,
    key: str,
    entries: list[tuple[int, Mapping[str, Any]]],
    taken: set[str],
    alone: bool,
) -> dict[int, str]:
    """Each new markup's URL: its own (the page's, or the page's with a fragment), or the page's
    when it is the page's only markup, or else the page's with a fragment of its own
    (#claim-N)."""
    chosen: dict[int, str] = {}
    used = set(taken)
    for index, entry in entries:
        if entry.get("url"):
            own = normalize(entry["url"], keep_fragment=True)
            where = f"/claimReviewMarkups/{index}/url"
            if own.partition("#")[0] != key:
                raise invalid(where, "Must be pageUrl, or pageUrl with a #fragment.")
            if own in used:
                raise invalid(where, "Another markup of the page, or a retracted one, has it.")
            chosen[index], used = entry["url"], used | {own}
    bare = [index for index, entry in entries if not entry.get("url")]
    if alone and bare and key not in used:
        return {bare[0]: url}
    number = 0
    for index in bare:
        number += 1
        while normalize(f"{url}#claim-{number}", keep_fragment=True) in used:
            number += 1
        chosen[index] = f"{url}#claim-{number}"
    return chosen


def invalid(pointer: str, detail: str) -> Unprocessable:
    return Unprocessable(detail, errors=[{"pointer": pointer, "detail": detail}])
