"""Importing ClaimReview JSON-LD into an organization's published fact-checks.

Accepted: one ClaimReview, a JSON array of them, a schema.org DataFeed (its `dataFeedElement`
ClaimReviews, or DataFeedItems with one as `item`), and Google's ClaimReviewMarkupPage (one,
an array, or `{"claimReviewMarkupPages": [...]}` as pages.list answers). Nothing is fetched.

Each ClaimReview becomes the API's own input (FactCheckSchema, and ArticleSchema for the article
it appeared in) and goes through the API's use cases: created and published, or, when a
fact-check of the organization has its `url` already, left alone when it says the same
("unchanged"), else changed as a correction when readers see the change ("updated"). ClaimReviews
of another author, or with a rating that is not on the organization's scale, are skipped and
reported; an invalid one refuses the whole import (ImportRefused), as does anything a use case
refuses. A whole import is one unit of work: all of it or nothing; a dry run rolls it back.
"""

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from marshmallow import ValidationError

from factcheck.core import scales
from factcheck.core.actors import Actor
from factcheck.core.articles import create_article
from factcheck.core.changes import pointed_messages
from factcheck.core.drafting import READER_FIELDS, update_fact_check
from factcheck.core.drafting import create_fact_check as draft_fact_check
from factcheck.core.publishing import publish
from factcheck.core.urls import normalize
from factcheck.problems import NotFound, Problem, Unprocessable
from factcheck.schemas.articles import ArticleSchema
from factcheck.schemas.fact_checks import FactCheckSchema
from factcheck.schemas.imports import IMPORT_RESULTS, ClaimReviewInSchema
from factcheck.storage import store
from factcheck.storage.models import DRAFT, RETRACTED, FactCheck, Organization

MAX_HEADLINE = 300
# What an import says about a fact-check, by attribute name; it replaces all of it on an update.
IMPORTED = (
    "claim_reviewed",
    "claim_author",
    "claim_date",
    "claim_appearances",
    "claim_first_appearance",
    "rating",
    "review_body",
    "evidence",
    "url",
    "in_language",
)
WIRE_NAMES = {
    "claim_reviewed": "claimReviewed",
    "claim_author": "claimAuthor",
    "claim_date": "claimDate",
    "claim_appearances": "claimAppearances",
    "claim_first_appearance": "claimFirstAppearance",
    "rating": "rating",
    "review_body": "reviewBody",
    "evidence": "evidence",
    "url": "url",
    "in_language": "inLanguage",
}
# Where a FactCheckSchema field comes from in a ClaimReview, for error pointers.
FROM_CLAIMREVIEW = (
    ("/claimAuthor/type", "/itemReviewed/author/@type"),
    ("/claimAuthor", "/itemReviewed/author"),
    ("/claimDate", "/itemReviewed/datePublished"),
    ("/claimAppearances", "/itemReviewed/appearance"),
    ("/claimFirstAppearance", "/itemReviewed/firstAppearance/url"),
    ("/rating", "/reviewRating"),
)
CITATION_NAMES = {"title": "name", "quote": "text", "archivedUrl": "archivedAt"}
ARTICLE_NAMES = {"author": "author/name", "publisher": "publisher"}
DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
# One instance of each, for every ClaimReview: a schema instance (with its nested ones) costs
# more to make than a ClaimReview to load, and an import loads thousands.
CLAIMREVIEW_IN = ClaimReviewInSchema()
FACT_CHECK_IN = FactCheckSchema()
ARTICLE_IN = ArticleSchema()
COMPARED = FactCheckSchema(only=IMPORTED)


@dataclass
class Item:
    """One ClaimReview of an import and what became of it."""

    index: int
    pointer: str
    url: str | None = None
    result: str = "invalid"
    fact_check_id: int | None = None
    reason: str | None = None
    errors: list[dict[str, str]] = field(default_factory=list)


@dataclass
class Report:
    dry_run: bool
    applied: bool
    items: list[Item]

    @property
    def counts(self) -> dict[str, int]:
        return {result: sum(i.result == result for i in self.items) for result in IMPORT_RESULTS}


class ImportRefused(Unprocessable):
    """Some ClaimReview is invalid (or a use case refused one): nothing was imported."""

    def __init__(self, report: Report) -> None:
        refused = [item for item in report.items if item.result == "invalid"]
        errors = [error for item in refused for error in item.errors]
        super().__init__(
            f"{len(refused)} of the {len(report.items)} ClaimReviews cannot be imported; "
            "nothing was imported. See `errors`.",
            errors,
        )
        self.report = report


class _RolledBack(Exception):
    """Ends a dry run's unit of work, so that it rolls back."""


@dataclass
class _Planned:
    """A ClaimReview that passed validation, as the API's input."""

    item: Item
    fields: dict[str, Any]
    article: dict[str, Any]
    article_pointer: str


def organization_of(actor: Actor, slug: str) -> Organization:
    """Another organization's imports and exports are not found, as its drafts are not."""
    organization = store.organization_by_slug(slug)
    if organization is None or organization.id != actor.organization_id:
        raise NotFound(f"No organization {slug!r} of this key.")
    return organization


def import_claimreviews(
    actor: Actor, slug: str, read_document: Callable[[], Any], *, dry_run: bool, max_items: int
) -> Report:
    """Import the document `read_document` gives (parsed JSON) for organization `slug`: the
    report of every ClaimReview, or ImportRefused (422) when one is invalid, with nothing applied.
    The document is read once the organization is known to be the actor's, so another
    organization's key learns that (404) before anything about its body."""
    organization = organization_of(actor, slug)
    found = claimreviews(read_document())
    if len(found) > max_items:
        raise Unprocessable(
            f"The import has {len(found)} ClaimReviews; at most {max_items} are taken at once.",
            errors=[{"pointer": "", "detail": f"Split it into imports of {max_items} or fewer."}],
        )
    plans = [_plan(organization, index, where, raw) for index, (where, raw) in enumerate(found)]
    _refuse_duplicates(plans)
    items = [plan.item if isinstance(plan, _Planned) else plan for plan in plans]
    report = Report(dry_run, False, items)
    if any(item.result == "invalid" for item in items):
        raise ImportRefused(report)
    try:
        with store.unit_of_work():
            for plan in plans:
                if isinstance(plan, _Planned):
                    _apply(actor, plan, report)
            if dry_run:
                raise _RolledBack
    except _RolledBack:
        # The ids the dry run's fact-checks had are rolled back with them.
        for item in items:
            if item.result == "created":
                item.fact_check_id = None
    report.applied = not dry_run and any(i.result in ("created", "updated") for i in items)
    return report


# --- the shapes of an import -------------------------------------------------------------------


def claimreviews(document: Any) -> list[tuple[str, Any]]:
    """(JSON pointer, ClaimReview) for each ClaimReview of the document; None stands for a feed
    element deleted in its feed. 422 for a document of no supported shape."""
    if isinstance(document, list):
        found: list[tuple[str, Any]] = []
        for index, entry in enumerate(document):
            if _is_markup_page(entry):
                found.extend(_markup_reviews(entry, f"/{index}"))
            else:
                found.append((f"/{index}", entry))
        return found
    if isinstance(document, dict):
        kind = _type(document)
        if kind == "ClaimReview":
            return [("", document)]
        if kind == "DataFeed":
            return list(_feed_reviews(document))
        if isinstance(document.get("claimReviewMarkupPages"), list):
            pages = document["claimReviewMarkupPages"]
            return [
                review
                for index, page in enumerate(pages)
                for review in _markup_reviews(page, f"/claimReviewMarkupPages/{index}")
            ]
        if _is_markup_page(document):
            return list(_markup_reviews(document, ""))
    raise Unprocessable(
        "Not a supported import: send a ClaimReview, an array of them, a schema.org DataFeed, "
        "or Google ClaimReviewMarkupPages.",
        errors=[{"pointer": "", "detail": "Not JSON-LD of a supported shape."}],
    )


def _type(value: Any) -> str | None:
    """A JSON-LD @type without its vocabulary (`schema:ClaimReview`, `https://schema.org/...`)."""
    kinds = value.get("@type") if isinstance(value, dict) else None
    for kind in kinds if isinstance(kinds, list) else [kinds]:
        if isinstance(kind, str):
            return re.split(r"[/:#]", kind)[-1]
    return None


def _feed_reviews(feed: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    elements = feed.get("dataFeedElement")
    if not isinstance(elements, list):
        elements = [] if elements is None else [elements]
    for index, element in enumerate(elements):
        where = f"/dataFeedElement/{index}"
        if _type(element) == "DataFeedItem":
            item = element.get("item")
            yield (f"{where}/item", item) if item is not None else (where, None)
        else:
            yield where, element


def _is_markup_page(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("claimReviewMarkups"), list)


def _markup_reviews(page: Any, where: str) -> Iterator[tuple[str, Any]]:
    """Google's markups as ClaimReviews. Google's shape has no citations: like pages.create,
    each cites its own page. Markups without a url are the page's (#claim-N when several)."""
    if not _is_markup_page(page):
        yield where, page
        return
    markups = page["claimReviewMarkups"]
    author = _object(page.get("claimReviewAuthor"))
    page_url = page.get("pageUrl")
    for index, given in enumerate(markups):
        at = f"{where}/claimReviewMarkups/{index}"
        if not isinstance(given, dict):
            yield at, given
            continue
        url = given.get("url") or (
            page_url if len(markups) == 1 else f"{page_url}#claim-{index + 1}"
        )
        rating = _object(given.get("rating"))
        claimant = _object(given.get("claimAuthor")) or None
        first = given.get("claimFirstAppearance")
        yield (
            at,
            {
                "@type": "ClaimReview",
                "url": url,
                "claimReviewed": given.get("claimReviewed"),
                "author": {"@type": "Organization", "name": author["name"]}
                if author.get("name")
                else None,
                "reviewRating": {
                    "alternateName": rating.get("textualRating"),
                    "ratingValue": rating.get("ratingValue"),
                    "bestRating": rating.get("bestRating"),
                    "worstRating": rating.get("worstRating"),
                    "ratingExplanation": rating.get("ratingExplanation"),
                },
                "itemReviewed": {
                    "author": {
                        "@type": "Person",
                        "name": claimant.get("name"),
                        "jobTitle": claimant.get("jobTitle"),
                        "sameAs": claimant.get("sameAs"),
                    }
                    if claimant
                    else None,
                    "datePublished": given.get("claimDate"),
                    "appearance": [{"url": u} for u in given.get("claimAppearances") or []],
                    "firstAppearance": {"url": first} if first else None,
                },
                "citation": [{"url": url}],
            },
        )


# --- one ClaimReview, checked without the database -----------------------------------------------


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _plan(organization: Organization, index: int, where: str, raw: Any) -> Item | _Planned:
    item = Item(index, where)
    if raw is None:
        item.result, item.reason = "skipped", "Deleted in its feed (dateDeleted, no item)."
        return item
    if _type(raw) != "ClaimReview":
        return _invalid(item, where, "Not a ClaimReview (@type).")
    try:
        given: dict[str, Any] = CLAIMREVIEW_IN.load(raw)
    except ValidationError as error:
        item.errors = [
            {"pointer": where + p, "detail": d} for p, d in pointed_messages(error.messages)
        ]
        return item
    item.url = given.get("url")
    authors = [author for author in given.get("author") or [] if author]
    if authors and not any(_is_organization(organization, author) for author in authors):
        names = ", ".join(str(author.get("name") or author.get("url")) for author in authors)
        item.result = "skipped"
        item.reason = f"By another author ({names}), not {organization.name}."
        return item
    wire, article_wire, article_pointer = _native(given, item.url)
    try:
        fields: dict[str, Any] = FACT_CHECK_IN.load(wire)
    except ValidationError as error:
        item.errors = [
            {"pointer": where + _from_native(p), "detail": d}
            for p, d in pointed_messages(error.messages)
        ]
        return item
    try:
        article: dict[str, Any] = ARTICLE_IN.load(article_wire)
    except ValidationError as error:
        item.errors = [
            {"pointer": where + _from_article(p, article_pointer), "detail": d}
            for p, d in pointed_messages(error.messages)
        ]
        return item
    if not fields.get("url"):
        return _invalid(item, where + "/url", "Required: an import finds fact-checks by url.")
    if fields.get("rating") is None:
        return _invalid(item, where + "/reviewRating", "Required to publish.")
    if not fields.get("evidence"):
        return _invalid(item, where + "/citation", "At least one citation with an http(s) URL.")
    off_scale = _on_scale(organization.rating_scale, fields["rating"])
    if off_scale:
        item.result = "skipped"
        item.reason = "The rating is not on the organization's scale: " + " ".join(off_scale)
        return item
    item.result = "pending"  # until it is applied
    return _Planned(item, fields, article, article_pointer)


def _invalid(item: Item, pointer: str, detail: str) -> Item:
    item.errors = [{"pointer": pointer, "detail": detail}]
    return item


def _is_organization(organization: Organization, author: Mapping[str, Any]) -> bool:
    name = (author.get("name") or "").strip().casefold()
    if name and name == organization.name.casefold():
        return True
    return bool(author.get("url")) and _host(author["url"]) == _host(organization.url)


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower().removeprefix("www.")
    except ValueError:
        return ""


def _on_scale(scale: Mapping[str, Any] | None, rating: dict[str, Any]) -> list[str]:
    """What keeps the rating off the scale (nothing when it fits). A label alone that the scale
    numbers gets the scale's numbers: that is the scale's own reading, not a guess."""
    scale = scale or {}
    numbered = {entry["alternateName"]: entry["ratingValue"] for entry in scale.get("labels", [])}
    numbers = ("rating_value", "best_rating", "worst_rating")
    label = rating.get("alternate_name")
    if all(rating.get(name) is None for name in numbers) and label in numbered:
        rating["rating_value"] = numbered[label]
        rating["best_rating"], rating["worst_rating"] = scale["bestRating"], scale["worstRating"]
    wire = {
        "ratingValue": rating.get("rating_value"),
        "bestRating": rating.get("best_rating"),
        "worstRating": rating.get("worst_rating"),
        "alternateName": label,
    }
    return [problem["detail"] for problem in scales.problems(scale, wire)]


def _native(
    given: Mapping[str, Any], url: str | None
) -> tuple[dict[str, Any], dict[str, Any], str]:
    """A loaded ClaimReview as FactCheckSchema and ArticleSchema input (wire names), with the
    pointer of the appearance that is the article."""
    claim = given.get("item_reviewed") or {}
    appearances = [a for a in claim.get("appearance") or [] if a]
    first = claim.get("first_appearance")
    # The service renders the article as the first NewsArticle appearance: read it back so.
    article_at = next(
        (i for i, a in enumerate(appearances) if _type(a) == "NewsArticle"),
        0 if appearances else None,
    )
    source = appearances[article_at] if article_at is not None else first
    pointer = (
        f"/itemReviewed/appearance/{article_at}"
        if article_at is not None
        else "/itemReviewed/firstAppearance"
    )
    source = source or {}
    article_url = source.get("url")
    others = [a["url"] for i, a in enumerate(appearances) if i != article_at and a.get("url")]
    first_url = (first or {}).get("url")
    if first_url and article_url and normalize(first_url) == normalize(article_url):
        first_url = None
    claimants = [a for a in claim.get("author") or [] if a]
    rating = given.get("review_rating")
    wire: dict[str, Any] = {
        "claimReviewed": given.get("claim_reviewed"),
        "claimAuthor": _claimant(claimants[0]) if claimants else None,
        "claimDate": _day(claim.get("date_published")),
        "claimAppearances": others,
        "claimFirstAppearance": first_url,
        "rating": _rating(rating) if rating else None,
        "reviewBody": given.get("review_body"),
        "evidence": [_citation(c) for c in given.get("citation") or [] if c],
        "url": url,
    }
    if given.get("in_language"):
        wire["inLanguage"] = given["in_language"]
    publishers = [p for p in source.get("publisher") or [] if p and p.get("name")]
    authors = [a for a in source.get("author") or [] if a and a.get("name")]
    article: dict[str, Any] = {
        "url": article_url,
        "headline": source.get("headline") or source.get("name") or _headline(article_url, url),
        "datePublished": _day(source.get("date_published")),
        "author": authors[0]["name"] if authors else None,
        "publisher": {"name": publishers[0]["name"], "url": publishers[0].get("url")}
        if publishers
        else None,
    }
    if given.get("in_language"):
        article["inLanguage"] = given["in_language"]
    return wire, article, pointer


def _headline(article_url: str | None, url: str | None) -> str:
    """An article named by nothing but its URL is headed by it, as pages.create does."""
    if article_url:
        return article_url.split("://", 1)[-1][:MAX_HEADLINE]
    page = (url or "").partition("#")[0]
    return f"Claims checked on {page}"[:MAX_HEADLINE]


def _claimant(author: Mapping[str, Any]) -> dict[str, Any]:
    kind = _type(author)
    claimant = {
        "name": author.get("name"),
        "type": kind if kind in ("Person", "Organization") else "Person",
        "jobTitle": author.get("job_title"),
        "sameAs": author.get("same_as") or None,
    }
    return {key: value for key, value in claimant.items() if value is not None}


def _rating(rating: Mapping[str, Any]) -> dict[str, Any]:
    wire = {
        "alternateName": rating.get("alternate_name"),
        "ratingValue": _number(rating.get("rating_value")),
        "bestRating": _number(rating.get("best_rating")),
        "worstRating": _number(rating.get("worst_rating")),
        "ratingExplanation": rating.get("rating_explanation"),
    }
    return {key: value for key, value in wire.items() if value is not None}


def _number(value: Any) -> Any:
    """Ratings written as "2" or 2.0 are the integer 2; anything else is left for the schema."""
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _citation(work: Mapping[str, Any]) -> dict[str, Any]:
    publishers = [p for p in work.get("publisher") or [] if p and p.get("name")]
    evidence = {
        "url": work.get("url"),
        "title": work.get("name") or work.get("headline"),
        "publisher": publishers[0]["name"] if publishers else None,
        "datePublished": _day(work.get("date_published")),
        "quote": work.get("text"),
        "archivedUrl": work.get("archived_at"),
    }
    return {key: value for key, value in evidence.items() if value is not None}


def _day(value: str | None) -> str | None:
    """The day of a date or date-time (`2024-05-02T10:00:00Z` is 2024-05-02)."""
    if value and DAY.match(value):
        return value[:10]
    return value


def _from_native(pointer: str) -> str:
    match = re.match(r"^/evidence(?:/(\d+)(?:/(\w+))?)?(.*)$", pointer)
    if match:
        index, name, rest = match.groups()
        parts = ["/citation"]
        if index is not None:
            parts.append(f"/{index}")
        if name is not None:
            parts.append(
                "/" + ("publisher/name" if name == "publisher" else CITATION_NAMES.get(name, name))
            )
        return "".join(parts) + rest
    for native, claimreview in FROM_CLAIMREVIEW:
        if pointer == native or pointer.startswith(native + "/"):
            return claimreview + pointer[len(native) :]
    return pointer


def _from_article(pointer: str, article_pointer: str) -> str:
    if pointer.startswith("/inLanguage"):
        return pointer
    name, _, rest = pointer.lstrip("/").partition("/")
    return f"{article_pointer}/{ARTICLE_NAMES.get(name, name)}" + (f"/{rest}" if rest else "")


def _refuse_duplicates(plans: list[Item | _Planned]) -> None:
    seen: dict[str, int] = {}
    for plan in plans:
        if not isinstance(plan, _Planned):
            continue
        key = normalize(plan.fields["url"], keep_fragment=True)
        if key in seen:
            detail = f"The same url as ClaimReview {seen[key]} of this import."
            plan.item.errors = [{"pointer": plan.item.pointer + "/url", "detail": detail}]
            plan.item.result = "invalid"
        else:
            seen[key] = plan.item.index
    plans[:] = [
        plan.item if isinstance(plan, _Planned) and plan.item.errors else plan for plan in plans
    ]


# --- applying it ------------------------------------------------------------------------------


def _apply(actor: Actor, plan: _Planned, report: Report) -> None:
    item = plan.item
    try:
        check = store.fact_check_by_url_key(
            actor.organization_id, normalize(plan.fields["url"], keep_fragment=True)
        )
        if check is None:
            article = _article(actor, plan)
            created = draft_fact_check(actor, article.id, plan.fields)
            publish(actor, created.id, created.version)
            item.result, item.fact_check_id = "created", created.id
        elif check.status == RETRACTED:
            item.result, item.fact_check_id = "skipped", check.id
            item.reason = "Retracted here; an import does not bring it back."
        else:
            _update(actor, check, plan)
    except Problem as problem:
        item.result = "invalid"
        item.errors = [
            {"pointer": item.pointer + _from_native(e.get("pointer", "")), "detail": e["detail"]}
            for e in problem.errors or []
        ] or [{"pointer": item.pointer, "detail": problem.detail}]
        for later in report.items[item.index + 1 :]:
            if later.result not in ("skipped", "invalid"):
                later.result, later.reason = "skipped", "Not applied: the import was refused."
        raise ImportRefused(report) from None


def _update(actor: Actor, check: FactCheck, plan: _Planned) -> None:
    item = plan.item
    item.fact_check_id = check.id
    changed = changed_fields(check, plan.fields)
    if not changed and check.status != DRAFT:
        item.result = "unchanged"
        return
    if changed:
        fields = {name: plan.fields.get(name) for name in IMPORTED}
        # An import says all of it: what it leaves out of the rating or claimant goes too,
        # where an update would merge nested objects into the stored ones.
        stored = {"rating": check.rating, "claim_author": check.claim_author}
        for name, before in stored.items():
            given = fields.get(name)
            if given is not None and before:
                fields[name] = {**dict.fromkeys(before), **given}
        # What readers see is corrected publicly; the prose and links change as the API's
        # edits do, without a note.
        seen = [WIRE_NAMES[name] for name in changed if WIRE_NAMES[name] in READER_FIELDS]
        if seen:
            fields["correction"] = f"Updated by an import: {', '.join(seen)}."
        check = update_fact_check(actor, check.id, check.version, fields)
    if check.status == DRAFT:
        publish(actor, check.id, check.version)
    item.result = "updated"
    item.reason = (
        f"Changed: {', '.join(WIRE_NAMES[name] for name in changed)}." if changed else "Published."
    )


def changed_fields(check: FactCheck, fields: Mapping[str, Any]) -> list[str]:
    """The imported fields (attribute names) whose values differ from the stored ones."""
    stored, given = _clean(COMPARED.dump(check)), _clean(COMPARED.dump(dict(fields)))
    return [
        name for name in IMPORTED if stored.get(WIRE_NAMES[name]) != given.get(WIRE_NAMES[name])
    ]


def _clean(value: Any) -> Any:
    if isinstance(value, Mapping):
        kept = {key: _clean(item) for key, item in value.items()}
        return {key: item for key, item in kept.items() if item not in (None, [], {})}
    if isinstance(value, list):
        return [_clean(item) for item in value]
    return value


def _article(actor: Actor, plan: _Planned) -> Any:
    """The article the claim appeared in, by its URL (or, without one, its headline), or new."""
    url = plan.article.get("url")
    if url:
        found = store.article_by_url_key(actor.organization_id, normalize(url))
    else:
        found = store.article_by_headline(actor.organization_id, plan.article["headline"])
    if found is not None:
        return found
    article = create_article(actor, plan.article)
    # Inside the import's unit of work nothing is sent yet; the fact-check needs the id.
    store.flush()
    return article
