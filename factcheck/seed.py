"""Seed content, loaded through the same service code as the API, so it obeys the same rules."""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from . import service, store
from .models import DRAFT
from .schemas import ArticleSchema, FactCheckSchema
from .service import Actor
from .urls import normalize


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
        article = service.create_article(actor, article_fields)
        yield f"article {article.id}: {article.headline}"

    created = 0
    for entry in bundle["factChecks"]:
        entry = {key: value for key, value in entry.items() if key != "slug"}
        fields = FactCheckSchema().load(entry)
        check = store.fact_check_by_url_key(organization.id, normalize(fields["url"], True))
        if check is None:
            check = service.create_fact_check(actor, article.id, fields)
            created += 1
        if check.status == DRAFT:
            service.publish(actor, check.id, check.version)
    yield f"{path.name}: {created} new fact-checks, {len(bundle['factChecks'])} in the file"


def _organization(data: dict[str, Any]) -> Any:
    found = store.organization_by_slug(data["slug"])
    if found is not None:
        return found
    return service.create_organization(
        data["slug"],
        data["name"],
        data["url"],
        corrections_policy=data.get("correctionsPolicy"),
        publishing_principles=data.get("publishingPrinciples"),
    )
