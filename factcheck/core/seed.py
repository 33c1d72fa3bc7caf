"""Seed content, loaded through the same use cases as the API, so it obeys the same rules: each
fact-check is drafted, submitted, approved and published (core/review.py)."""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from factcheck.core.actors import Actor
from factcheck.core.articles import create_article
from factcheck.core.drafting import create_fact_check
from factcheck.core.organizations import create_organization
from factcheck.core.publishing import publish
from factcheck.core.review import approve, submit
from factcheck.core.urls import normalize
from factcheck.schemas.articles import ArticleSchema
from factcheck.schemas.fact_checks import FactCheckSchema
from factcheck.schemas.organizations import OrganizationSchema
from factcheck.storage import store
from factcheck.storage.models import APPROVED, DRAFT, IN_REVIEW


def load_directory(directory: Path) -> Iterator[str]:
    for path in sorted(directory.glob("*.json")):
        yield from load_file(path)


def load_file(path: Path) -> Iterator[str]:
    bundle = json.loads(path.read_text(encoding="utf-8"))
    organization = _organization(bundle["organization"])
    actor = Actor(organization.id, "seed", frozenset({"write", "publish"}))

    article_data = dict(bundle["article"])
    text_file = article_data.pop("textFile", None)
    if text_file:
        article_data["text"] = (path.parent / text_file).read_text(encoding="utf-8")
    article_fields = ArticleSchema().load(article_data)
    article = store.article_by_headline(organization.id, article_fields["headline"])
    if article is None:
        article = create_article(actor, article_fields)
        yield f"article {article.id}: {article.headline}"

    created = 0
    for entry in bundle["factChecks"]:
        entry = {key: value for key, value in entry.items() if key != "slug"}
        fields = FactCheckSchema().load(entry)
        check = store.fact_check_by_url_key(organization.id, normalize(fields["url"], True))
        if check is None:
            check = create_fact_check(actor, article.id, fields)
            created += 1
        # Through the review step, as a desk would: submitted, approved, published.
        if check.status == DRAFT:
            check = submit(actor, check.id, check.version)
        if check.status == IN_REVIEW:
            check = approve(actor, check.id, check.version)
        if check.status == APPROVED:
            publish(actor, check.id, check.version)
    yield f"{path.name}: {created} new fact-checks, {len(bundle['factChecks'])} in the file"


def _organization(data: dict[str, Any]) -> Any:
    # Checked like the API's input and the CLI's: http(s) URLs, lengths, no control characters.
    fields = OrganizationSchema().load(data)
    found = store.organization_by_slug(fields["slug"])
    if found is not None:
        return found
    return create_organization(**fields)
