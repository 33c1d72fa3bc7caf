"""Articles: the news pieces whose claims are checked; create, edit and delete them."""

from typing import Any

from factcheck.core import changes, outbox
from factcheck.core.actors import Actor
from factcheck.core.urls import normalize
from factcheck.problems import Conflict, Unprocessable
from factcheck.schemas.articles import PublisherSchema
from factcheck.storage import records, store
from factcheck.storage.models import Article, utcnow


def create_article(actor: Actor, data: dict[str, Any]) -> Article:
    with store.unit_of_work():
        article = Article(organization_id=actor.organization_id)
        _apply(article, data)
        store.add(article)
    return article


def update_article(
    actor: Actor, article_id: int, expected_version: int | None, data: dict[str, Any]
) -> Article:
    with store.unit_of_work():
        article = changes.article_at(actor, article_id, expected_version)
        if "publisher" in data:
            # A JSON Merge Patch: the publisher keeps the members the request leaves out.
            data = {
                **data,
                "publisher": changes.merged(
                    PublisherSchema(), article.publisher, data["publisher"], "/publisher"
                ),
            }
        _apply(article, data)
        article.date_modified = utcnow()
        store.flush()
        changes.forget_article(article)
        # The article shows inside its published ClaimReviews, so they change in the feed too.
        for check in store.published_fact_checks_of_article(article.id):
            records.record_feed_change(check.id)
        outbox.article_changed(article)
    return article


def delete_article(actor: Actor, article_id: int, expected_version: int | None) -> None:
    with store.unit_of_work():
        article = changes.article_at(actor, article_id, expected_version)
        if store.fact_check_count(article.id):
            raise Conflict("The article has fact-checks; delete or retract them first.")
        changes.forget_article(article)
        store.delete(article)


def _apply(article: Article, data: dict[str, Any]) -> None:
    if "url" in data:
        url_key = normalize(data["url"]) if data["url"] else None
        if url_key and url_key != article.url_key:
            if store.article_by_url_key(article.organization_id, url_key) is not None:
                raise Conflict("An article with this URL exists already.")
        article.url_key = url_key
    if "text" in data and article.id is not None:
        _check_quotes_still_match(article, data["text"])
    if data.get("publisher") is not None:
        publisher = {key: value for key, value in data["publisher"].items() if value is not None}
        data = {**data, "publisher": publisher}
    for key, value in data.items():
        setattr(article, key, value)


def _check_quotes_still_match(article: Article, new_text: str | None) -> None:
    for check in store.fact_checks_of_article(article.id):
        if new_text and check.quote and not quote_at(new_text, check.quote, check.quote_offset):
            raise Unprocessable(
                "The new text no longer contains the quote of a fact-check of this article.",
                errors=[{"pointer": "/text", "detail": f"Fact-check {check.id} quotes it."}],
            )


def quote_at(text: str, quote: str, offset: int | None) -> bool:
    return offset is not None and text[offset : offset + len(quote)] == quote
