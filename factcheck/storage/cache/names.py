"""Every cached document's name, in one place: reads fill under these names, writes drop them.

A name is what follows `doc:`, `gen:` and `lease:` in Redis (see scripts.py). A write drops every
document that shows what it changed; the lists at the end say which those are, and grow by
themselves when a document is added to a family here.
"""

from collections.abc import Iterable
from typing import NamedTuple
from urllib.parse import quote


class FactCheckNames(NamedTuple):
    json: str
    claimreview: str
    page: str
    card: str
    # The public history, whole: pages of it are cut from this one document.
    history: str


class ArticleNames(NamedTuple):
    claimreviews: str
    page: str


def fact_check(fact_check_id: int) -> FactCheckNames:
    return FactCheckNames(
        json=f"fc:{fact_check_id}:json",
        claimreview=f"fc:{fact_check_id}:ld",
        page=f"page:fc:{fact_check_id}",
        card=f"page:fc:{fact_check_id}:embed",
        history=f"fc:{fact_check_id}:history",
    )


def article(article_id: int) -> ArticleNames:
    return ArticleNames(claimreviews=f"article:{article_id}:ld", page=f"page:article:{article_id}")


def organization(slug: str) -> str:
    return f"org:{quote(slug, safe='')}"


class OrganizationNames(NamedTuple):
    json: str
    page: str
    rating_scales: str


def organization_documents(slug: str) -> OrganizationNames:
    """The organization's own documents: its JSON, its page, its rating scales."""
    return OrganizationNames(
        json=organization(slug),
        page=f"page:org:{quote(slug, safe='')}",
        rating_scales=f"org:{quote(slug, safe='')}:scales",
    )


def showing_fact_check(fact_check_id: int, article_id: int) -> list[str]:
    """The fact-check's own documents, and its article's, which list it."""
    return [*fact_check(fact_check_id), *article(article_id)]


def showing_article(article_id: int, fact_check_ids: Iterable[int]) -> list[str]:
    """The article's documents, and those of each of its fact-checks, which show the article."""
    shown = [name for fact_check_id in fact_check_ids for name in fact_check(fact_check_id)]
    return [*article(article_id), *shown]


def showing_organization(
    slug: str, article_ids: Iterable[int], fact_check_ids: Iterable[int]
) -> list[str]:
    """The organization's documents, and every document of its articles and fact-checks, which
    all show it (the ClaimReview's author, the pages' header and footer)."""
    shown = [name for article_id in article_ids for name in article(article_id)]
    shown += [name for fact_check_id in fact_check_ids for name in fact_check(fact_check_id)]
    return [*organization_documents(slug), *shown]
