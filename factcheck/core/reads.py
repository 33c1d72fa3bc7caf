"""Reading: who may see what, lists, and the public documents served through the cache.

Reads with no actor are the public ones: cached, and the same bytes for everyone. An actor is only
passed for what the public cannot see (a draft, to its own organization), which is never cached.
"""

import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from factcheck.core import claimreview, organizations, published
from factcheck.core import history as history_of
from factcheck.core.actors import Actor
from factcheck.core.documents import html_document, json_document
from factcheck.core.organizations import organization
from factcheck.core.urls import lookup_key
from factcheck.problems import Gone, NotFound
from factcheck.schemas.fact_checks import RevisionSchema
from factcheck.storage import filters, store
from factcheck.storage.cache import names, read_through
from factcheck.storage.documents import Document
from factcheck.storage.filters import Filters
from factcheck.storage.models import RETRACTED, UNPUBLISHED, Article, FactCheck

# An article page lists at most this many of its fact-checks.
MAX_LISTED = 100

OwnedT = TypeVar("OwnedT", Article, FactCheck)


# --- who may see what ------------------------------------------------------------------------


def article_for(actor: Actor | None, article_id: int) -> Article:
    """The article if the viewer may see it; else 404, so other newsrooms' work stays unseen."""
    article = store.get(Article, article_id)
    viewer = actor.organization_id if actor else None
    if article is None or not store.article_is_visible(article, viewer):
        raise NotFound(f"No article {article_id}.")
    return article


def fact_check_for(actor: Actor | None, fact_check_id: int) -> FactCheck:
    check = store.get(FactCheck, fact_check_id)
    if check is None or not _visible(check, actor):
        raise NotFound(f"No fact-check {fact_check_id}.")
    return check


def owned_article(actor: Actor, article_id: int) -> Article:
    return _owned(Article, actor, article_id, "article")


def owned_fact_check(actor: Actor, fact_check_id: int) -> FactCheck:
    return _owned(FactCheck, actor, fact_check_id, "fact-check")


def _owned(model: type[OwnedT], actor: Actor, row_id: int, noun: str) -> OwnedT:
    """The actor's own row; another organization's is as absent as a missing one."""
    found = store.get(model, row_id)
    if found is None or found.organization_id != actor.organization_id:
        raise NotFound(f"No {noun} {row_id}.")
    return found


def _visible(check: FactCheck, actor: Actor | None) -> bool:
    if check.status not in UNPUBLISHED:
        return True
    return actor is not None and actor.organization_id == check.organization_id


# --- lists -----------------------------------------------------------------------------------


def list_articles(
    actor: Actor | None, page: int, page_size: int, url: str | None = None
) -> tuple[Sequence[Article], int]:
    url_key = lookup_key(url) if url else None
    viewer = actor.organization_id if actor else None
    return store.articles(viewer, page, page_size, url_key=url_key)


def list_fact_checks(
    actor: Actor | None,
    page: int,
    page_size: int,
    article_id: int | None = None,
    status: str | None = None,
    url: str | None = None,
    narrowed: Filters = filters.NONE,
) -> tuple[Sequence[FactCheck], int]:
    if article_id is not None:
        article_for(actor, article_id)
    url_key = lookup_key(url, keep_fragment=True) if url else None
    where = store.FactCheckFilter(article_id, status, url_key, narrowed)
    return store.fact_checks(actor.organization_id if actor else None, page, page_size, where)


def history(
    actor: Actor | None, fact_check_id: int, page: int, page_size: int
) -> tuple[Document, int]:
    """A page of the fact-check's history and the number of entries: every revision for its own
    organization (never cached), the published record for everyone else (cached whole)."""
    if actor is not None:
        check = store.get(FactCheck, fact_check_id)
        if check is not None and check.organization_id == actor.organization_id:
            full = history_of.full(check, store.revisions(check.id))
            return _page(RevisionSchema(many=True).dump(full), page, page_size, public=False)

    def build() -> Document:
        check = fact_check_for(None, fact_check_id)
        entries = history_of.public(check, store.revisions(check.id))
        return json_document(RevisionSchema(many=True).dump(entries))

    whole = read_through.serve(names.fact_check(fact_check_id).history, build)
    return _page(json.loads(whole.body), page, page_size, public=True)


def _page(entries: list[Any], page: int, page_size: int, public: bool) -> tuple[Document, int]:
    start = (page - 1) * page_size
    return json_document(entries[start : start + page_size], public=public), len(entries)


# --- public documents, cached ----------------------------------------------------------------


def fact_check_document(actor: Actor | None, fact_check_id: int) -> Document:
    def build() -> Document:
        return published.fact_check_json(fact_check_for(actor, fact_check_id))

    return _stored(actor, names.fact_check(fact_check_id).json, fact_check_id, build)


def fact_check_claimreview(actor: Actor | None, fact_check_id: int) -> Document:
    """Its ClaimReview; a draft's preview for its organization; 410 once it is retracted, for
    everyone: the markup is withdrawn."""

    def build() -> Document:
        check = fact_check_for(actor, fact_check_id)
        if check.status == RETRACTED:
            raise _withdrawn(check)
        if check.status in UNPUBLISHED:
            # Only its own organization gets here; never cached.
            draft = claimreview.preview(check, site_url())
            return json_document(draft, "application/ld+json", public=False)
        return published.claimreview_document(check)

    return _stored(actor, names.fact_check(fact_check_id).claimreview, fact_check_id, build)


def _withdrawn(check: FactCheck) -> Gone:
    retracted = check.date_retracted.isoformat() if check.date_retracted else "an unknown date"
    return Gone(
        f"Fact-check {check.id} was retracted on {retracted}: {check.retraction_note} "
        "Its ClaimReview is withdrawn; the fact-check itself, with the retraction, stays at "
        f"/api/v1/fact-checks/{check.id}."
    )


def article_claimreviews(actor: Actor | None, article_id: int) -> Document:
    def build() -> Document:
        article = article_for(actor, article_id)
        checks = store.published_fact_checks_of_article(article.id)
        rendered = [claimreview.render(check, site_url()) for check in checks]
        # What the article's own organization sees before anything is public is not cached.
        return json_document(rendered, "application/ld+json", actor is None)

    return _cached(actor, names.article(article_id).claimreviews, build)


def organization_document(slug: str) -> Document:
    def build() -> Document:
        # Its ETag names its version, for the If-Match of a PATCH.
        return organizations.document(organization(slug))

    return read_through.serve(names.organization(slug), build)


site_url = published.site_url


def _cached(actor: Actor | None, name: str, build: Callable[[], Document]) -> Document:
    return read_through.serve(name, build) if actor is None else build()


def _stored(
    actor: Actor | None, name: str, fact_check_id: int, build: Callable[[], Document]
) -> Document:
    """A public read: the cache, then (missed, or Redis down) the stored document, then `build`.
    Its own organization's read (a draft's preview) is built each time."""
    if actor is not None:
        return build()
    return read_through.serve(name, lambda: published.served(name, fact_check_id, build))


# --- public pages: the web renders the HTML, these decide what it shows and cache it ---------


def fact_check_page(
    fact_check_id: int, render: Callable[[FactCheck, Document | None], str]
) -> Document:
    """The page of a public fact-check, given its ClaimReview document to embed (None once it
    is retracted: the page keeps the notice, not the markup)."""

    def build() -> Document:
        check = fact_check_for(None, fact_check_id)
        retracted = check.status == RETRACTED
        document = None if retracted else fact_check_claimreview(None, fact_check_id)
        return html_document(render(check, document))

    return read_through.serve(names.fact_check(fact_check_id).page, build)


def fact_check_card(fact_check_id: int, render: Callable[[FactCheck], str]) -> Document:
    def build() -> Document:
        return html_document(render(fact_check_for(None, fact_check_id)))

    return read_through.serve(names.fact_check(fact_check_id).card, build)


def article_page(article_id: int, render: Callable[[Article, list[FactCheck]], str]) -> Document:
    """The page of an article, with its public fact-checks in reading order."""

    def build() -> Document:
        found = article_for(None, article_id)
        checks, _ = list_fact_checks(None, 1, MAX_LISTED, article_id=found.id)
        in_reading_order = sorted(
            checks, key=lambda c: (c.quote_offset is None, c.quote_offset, c.id)
        )
        return html_document(render(found, in_reading_order))

    return read_through.serve(names.article(article_id).page, build)
