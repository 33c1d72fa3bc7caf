"""Use cases: what a newsroom tool, a website or the CLI can do. No Flask request in here."""

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from . import claimreview, documents, store
from .documents import Document, content_etag, serialize
from .errors import Conflict, NotFound, PreconditionFailed, Unprocessable
from .models import (
    DEFAULT_RATING_SCALE,
    DRAFT,
    PUBLISHED,
    RETRACTED,
    Article,
    Correction,
    FactCheck,
    Organization,
    Revision,
    utcnow,
)
from .schemas import FactCheckSchema, OrganizationSchema
from .urls import normalize

# Changing these on a published fact-check changes its verdict (the rating carries its explanation):
# it needs a public correction note.
VERDICT_FIELDS = frozenset({"rating", "evidence"})
RATING_COLUMNS = (
    "rating_value",
    "best_rating",
    "worst_rating",
    "alternate_name",
    "rating_explanation",
)


@dataclass(frozen=True)
class Actor:
    """Who is acting: an API key of one organization, or the CLI on its behalf."""

    organization_id: int
    name: str
    scopes: frozenset[str] = field(default_factory=frozenset)
    # The API key's row id; None for the CLI. Idempotency keys are scoped to it.
    key_id: int | None = None


@dataclass(frozen=True)
class Publication:
    """A just-published fact-check with the profile's warnings; reads like the fact-check itself."""

    fact_check: FactCheck
    warnings: list[dict[str, str]]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.fact_check, name)


# --- organizations -------------------------------------------------------------------------


def create_organization(slug: str, name: str, url: str, **details: Any) -> Organization:
    if store.organization_by_slug(slug) is not None:
        raise Conflict(f"An organization with slug {slug!r} exists already.")
    organization = Organization(
        slug=slug,
        name=name,
        url=url,
        rating_scale=details.pop("rating_scale", DEFAULT_RATING_SCALE),
    )
    for key, value in details.items():
        setattr(organization, key, value)
    store.add(organization)
    store.commit()
    return organization


def organization(slug: str) -> Organization:
    found = store.organization_by_slug(slug)
    if found is None:
        raise NotFound(f"No organization {slug!r}.")
    return found


# --- articles --------------------------------------------------------------------------------


def create_article(actor: Actor, data: dict[str, Any]) -> Article:
    article = Article(organization_id=actor.organization_id)
    _apply_article(article, data)
    store.add(article)
    store.commit()
    return article


def article_for(actor: Actor | None, article_id: int) -> Article:
    """The article if the viewer may see it; else 404, so other newsrooms' work stays unseen."""
    article = store.get(Article, article_id)
    viewer = actor.organization_id if actor else None
    if article is None or not store.article_is_visible(article, viewer):
        raise NotFound(f"No article {article_id}.")
    return article


def owned_article(actor: Actor, article_id: int) -> Article:
    article = store.get(Article, article_id)
    if article is None or article.organization_id != actor.organization_id:
        raise NotFound(f"No article {article_id}.")
    return article


def update_article(
    actor: Actor, article_id: int, expected_version: int | None, data: dict[str, Any]
) -> Article:
    article = owned_article(actor, article_id)
    _check_version(article.version, expected_version)
    _apply_article(article, data)
    article.date_modified = utcnow()
    store.flush()
    stale = _forget_article(article)
    # The article shows inside its published ClaimReviews, so they change in the feed too.
    for check in store.published_fact_checks_of_article(article.id):
        store.record_feed_change(check.id)
    store.commit()
    documents.forget(stale)
    return article


def delete_article(actor: Actor, article_id: int, expected_version: int | None) -> None:
    article = owned_article(actor, article_id)
    _check_version(article.version, expected_version)
    if store.fact_check_count(article.id):
        raise Conflict("The article has fact-checks; delete or retract them first.")
    stale = _forget_article(article)
    store.delete(article)
    store.commit()
    documents.forget(stale)


def list_articles(
    actor: Actor | None, page: int, page_size: int, url: str | None = None
) -> tuple[Sequence[Article], int]:
    url_key = normalize(url) if url else None
    viewer = actor.organization_id if actor else None
    return store.articles(viewer, page, page_size, url_key=url_key)


def _apply_article(article: Article, data: dict[str, Any]) -> None:
    if "url" in data:
        url_key = normalize(data["url"]) if data["url"] else None
        if url_key and url_key != article.url_key:
            if store.article_by_url_key(article.organization_id, url_key) is not None:
                raise Conflict("An article with this URL exists already.")
        article.url_key = url_key
    if "text" in data and article.id is not None:
        _check_quotes_still_match(article, data["text"])
    for key, value in data.items():
        setattr(article, key, value)


def _check_quotes_still_match(article: Article, new_text: str | None) -> None:
    checks = store.fact_checks_of_article(article.id)
    for check in checks:
        if new_text and check.quote and not _quote_at(new_text, check.quote, check.quote_offset):
            raise Unprocessable(
                "The new text no longer contains the quote of a fact-check of this article.",
                errors=[{"pointer": "/text", "detail": f"Fact-check {check.id} quotes it."}],
            )


# --- fact-checks -----------------------------------------------------------------------------


def create_fact_check(actor: Actor, article_id: int, data: dict[str, Any]) -> FactCheck:
    article = owned_article(actor, article_id)
    check = FactCheck(
        organization_id=actor.organization_id, article=article, status=DRAFT, evidence=[]
    )
    _apply_fact_check(check, data)
    store.add(check)
    store.flush()
    _record(check, actor, "create", _snapshot(check))
    store.commit()
    return check


def fact_check_for(actor: Actor | None, fact_check_id: int) -> FactCheck:
    check = store.get(FactCheck, fact_check_id)
    if check is None or not _visible(check, actor):
        raise NotFound(f"No fact-check {fact_check_id}.")
    return check


def owned_fact_check(actor: Actor, fact_check_id: int) -> FactCheck:
    check = store.get(FactCheck, fact_check_id)
    if check is None or check.organization_id != actor.organization_id:
        raise NotFound(f"No fact-check {fact_check_id}.")
    return check


def list_fact_checks(
    actor: Actor | None,
    page: int,
    page_size: int,
    article_id: int | None = None,
    status: str | None = None,
    url: str | None = None,
) -> tuple[Sequence[FactCheck], int]:
    if article_id is not None:
        article_for(actor, article_id)
    viewer = actor.organization_id if actor else None
    url_key = normalize(url, keep_fragment=True) if url else None
    return store.fact_checks(viewer, page, page_size, article_id, status, url_key)


def update_fact_check(
    actor: Actor, fact_check_id: int, expected_version: int | None, data: dict[str, Any]
) -> FactCheck:
    check = owned_fact_check(actor, fact_check_id)
    _check_version(check.version, expected_version)
    if check.status == RETRACTED:
        raise Conflict("A retracted fact-check cannot change.")
    correction_note = data.pop("correction", None)
    before = _snapshot(check)
    _apply_fact_check(check, data)
    changes = _diff(before, _snapshot(check))
    if not changes:
        return check
    action = "update"
    if check.status == PUBLISHED:
        changed_verdict = VERDICT_FIELDS & changes.keys()
        if changed_verdict and not correction_note:
            raise Unprocessable(
                "Changing the verdict of a published fact-check needs a correction note.",
                errors=[{"pointer": "/correction", "detail": "Say what changed and why."}],
            )
        if changed_verdict:
            check.corrections.append(Correction(note=correction_note, date_created=utcnow()))
            action = "correct"
        errors, _ = claimreview.profile_problems(check)
        if errors:
            raise Unprocessable("A published fact-check must keep passing the profile.", errors)
    check.date_modified = utcnow()
    _commit_change(check, actor, action, changes)
    return check


def publish(actor: Actor, fact_check_id: int, expected_version: int | None) -> Publication:
    check = owned_fact_check(actor, fact_check_id)
    _check_version(check.version, expected_version)
    if check.status != DRAFT:
        raise Conflict(f"Only drafts can be published; this one is {check.status}.")
    errors, warnings = claimreview.profile_problems(check)
    if errors:
        raise Unprocessable(
            "The fact-check does not pass the ClaimReview profile.", errors, warnings
        )
    now = utcnow()
    check.status, check.date_published, check.date_modified = PUBLISHED, now, now
    _commit_change(check, actor, "publish", {"status": [DRAFT, PUBLISHED]})
    return Publication(check, warnings)


def retract(actor: Actor, fact_check_id: int, expected_version: int | None, note: str) -> FactCheck:
    check = owned_fact_check(actor, fact_check_id)
    _check_version(check.version, expected_version)
    if check.status != PUBLISHED:
        raise Conflict(f"Only published fact-checks can be retracted; this one is {check.status}.")
    now = utcnow()
    check.status, check.retraction_note = RETRACTED, note
    check.date_retracted, check.date_modified = now, now
    changes = {"status": [PUBLISHED, RETRACTED], "retraction": [None, note]}
    _commit_change(check, actor, "retract", changes)
    return check


def _commit_change(check: FactCheck, actor: Actor, action: str, changes: dict[str, Any]) -> None:
    """One transaction: the change, its revision, the record of what it makes stale and (once
    public) its place in the feed. After the commit, the stale documents leave the cache."""
    store.flush()
    _record(check, actor, action, changes)
    stale = _forget_fact_check(check)
    if check.status != DRAFT:
        store.record_feed_change(check.id)
    store.commit()
    documents.forget(stale)


def delete_fact_check(actor: Actor, fact_check_id: int, expected_version: int | None) -> None:
    check = owned_fact_check(actor, fact_check_id)
    _check_version(check.version, expected_version)
    if check.status != DRAFT:
        raise Conflict("Published fact-checks are retracted, not deleted.")
    stale = _forget_fact_check(check)
    store.delete(check)
    store.commit()
    documents.forget(stale)


def revisions(actor: Actor | None, fact_check_id: int) -> Sequence[Revision]:
    check = fact_check_for(actor, fact_check_id)
    return store.revisions(check.id)


def _visible(check: FactCheck, actor: Actor | None) -> bool:
    if check.status != DRAFT:
        return True
    return actor is not None and actor.organization_id == check.organization_id


def _check_version(current: int, expected: int | None) -> None:
    """`expected` None stands for `If-Match: *`. The UPDATE itself checks again (version_id_col)."""
    if expected is not None and expected != current:
        raise PreconditionFailed(
            f"The resource is at version {current}, not {expected}; fetch it again."
        )


def _apply_fact_check(check: FactCheck, data: dict[str, Any]) -> None:
    data = dict(data)
    if "rating" in data:
        rating = data.pop("rating") or {}
        for column in RATING_COLUMNS:
            setattr(check, column, rating.get(column))
    if "evidence" in data:
        data["evidence"] = [_json_ready(item) for item in data["evidence"]]
    if "claim_author" in data and data["claim_author"] is not None:
        data["claim_author"] = _json_ready(data["claim_author"])
    if "url" in data:
        check.url_key = normalize(data["url"], keep_fragment=True) if data["url"] else None
    for key, value in data.items():
        setattr(check, key, value)
    _place_quote(check)


def _place_quote(check: FactCheck) -> None:
    """Verify a given offset against the article text, or find it when it was left out."""
    text = check.article.text
    if not text or not check.quote:
        return
    if check.quote_offset is None:
        found = text.find(check.quote)
        if found < 0:
            raise Unprocessable(
                "The quote is not in the article text.",
                errors=[{"pointer": "/quote", "detail": "Not found verbatim in the article."}],
            )
        check.quote_offset = found
    elif not _quote_at(text, check.quote, check.quote_offset):
        actual = text.find(check.quote)
        hint = f" It is at {actual}." if actual >= 0 else " The quote is not in the text."
        raise Unprocessable(
            "The quote is not at quoteOffset in the article text.",
            errors=[{"pointer": "/quoteOffset", "detail": "Does not match the text." + hint}],
        )


def _quote_at(text: str, quote: str, offset: int | None) -> bool:
    return offset is not None and text[offset : offset + len(quote)] == quote


def _json_ready(value: Any) -> Any:
    """Dates in nested JSON columns are kept as ISO strings."""
    return json.loads(json.dumps(value, default=lambda item: item.isoformat()))


def _snapshot(check: FactCheck) -> dict[str, Any]:
    """The client-editable fields as the API shows them, to diff for revisions."""
    dumped: dict[str, Any] = FactCheckSchema(
        exclude=("id", "version", "status", "corrections", "retraction", "organization")
    ).dump(check)
    return dumped


def _diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    return {
        key: [before.get(key), after.get(key)]
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key) and not key.startswith("date")
    }


def _record(check: FactCheck, actor: Actor, action: str, changes: dict[str, Any]) -> None:
    store.add(
        Revision(
            fact_check_id=check.id,
            version=check.version,
            action=action,
            actor=actor.name,
            changes=changes,
            date_created=utcnow(),
        )
    )


# --- public documents, cached ----------------------------------------------------------------
# Reads with no actor are the public ones: cached, and the same bytes for everyone. An actor is only
# passed for what the public cannot see (a draft, to its own organization), which is never cached.


def version_etag(resource: Article | FactCheck) -> str:
    kind = "article" if isinstance(resource, Article) else "fact-check"
    return f'"{kind}-{resource.id}-v{resource.version}"'


def fact_check_document(actor: Actor | None, fact_check_id: int) -> Document:
    def build() -> Document:
        check = fact_check_for(actor, fact_check_id)
        body = serialize(FactCheckSchema().dump(check))
        return Document(body, version_etag(check), "application/json", check.status != DRAFT)

    return _cached(actor, f"fc:{fact_check_id}:json", build)


def fact_check_claimreview(actor: Actor | None, fact_check_id: int) -> Document:
    def build() -> Document:
        check = fact_check_for(actor, fact_check_id)
        return _ld(claimreview.render(check), check.status != DRAFT)

    return _cached(actor, f"fc:{fact_check_id}:ld", build)


def article_claimreviews(actor: Actor | None, article_id: int) -> Document:
    def build() -> Document:
        article = article_for(actor, article_id)
        checks = store.published_fact_checks_of_article(article.id)
        # What the article's own organization sees before anything is public is not cached.
        return _ld([claimreview.render(check) for check in checks], actor is None)

    return _cached(actor, f"article:{article_id}:ld", build)


def organization_document(slug: str) -> Document:
    def build() -> Document:
        body = serialize(OrganizationSchema().dump(organization(slug)))
        return Document(body, content_etag(body), "application/json")

    return _cached(None, f"org:{quote(slug, safe='')}", build)


def public_page(name: str, build: Callable[[], str]) -> Document:
    """An HTML page built only from public documents, cached and invalidated like them."""

    def document() -> Document:
        body = build().encode()
        return Document(body, content_etag(body), "text/html")

    return documents.serve(f"page:{name}", document)


def _ld(document: Any, public: bool) -> Document:
    body = serialize(document)
    return Document(body, content_etag(body), "application/ld+json", public)


def _cached(actor: Actor | None, name: str, build: Callable[[], Document]) -> Document:
    return documents.serve(name, build) if actor is None else build()


def _fact_check_names(check: FactCheck) -> list[str]:
    return [
        f"fc:{check.id}:ld",
        f"fc:{check.id}:json",
        f"article:{check.article_id}:ld",
        f"page:fc:{check.id}",
        f"page:fc:{check.id}:embed",
        f"page:article:{check.article_id}",
    ]


def _forget_fact_check(check: FactCheck) -> documents.Stale:
    """Every cached document that shows the fact-check; call inside the write's transaction."""
    return documents.stale(_fact_check_names(check))


def _forget_article(article: Article) -> documents.Stale:
    checks = store.fact_checks_of_article(article.id)
    names = [name for check in checks for name in _fact_check_names(check)]
    return documents.stale([f"article:{article.id}:ld", f"page:article:{article.id}", *names])
