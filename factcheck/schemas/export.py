"""The JSON Schema files published in `schemas/`, generated from the marshmallow schemas."""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema

from factcheck.schemas.articles import ArticleSchema
from factcheck.schemas.claimreview import ClaimReviewPreviewSchema, ClaimReviewSchema
from factcheck.schemas.fact_checks import FactCheckPatchSchema, FactCheckSchema

DIALECT = "https://json-schema.org/draft/2020-12/schema"
PUBLISHED: dict[str, tuple[type[Schema], str]] = {
    "article.json": (ArticleSchema, "An article, as POSTed to /api/v1/articles"),
    "fact-check.json": (
        FactCheckSchema,
        "A fact-check, as POSTed to /api/v1/articles/{id}/fact-checks",
    ),
    "fact-check-patch.json": (
        FactCheckPatchSchema,
        "A change to a fact-check, as sent with PATCH /api/v1/fact-checks/{id}; all optional",
    ),
    "claimreview.json": (ClaimReviewSchema, "The ClaimReview JSON-LD the service serves"),
    "claimreview-preview.json": (
        ClaimReviewPreviewSchema,
        "A draft's ClaimReview, as /api/v1/fact-checks/{id}/claimreview shows it to its own "
        "organization before it is published",
    ),
}


def generate(schema_class: type[Schema], description: str) -> dict[str, Any]:
    """One self-contained JSON Schema (2020-12): nested schemas become `$defs`."""
    spec = APISpec("factcheck-service", "1", "3.1.0", plugins=[MarshmallowPlugin()])
    name = schema_class.__name__.removesuffix("Schema")
    spec.components.schema(name, schema=schema_class)
    components = spec.to_dict()["components"]["schemas"]
    root = components.pop(name)
    document = {"$schema": DIALECT, "title": name, "description": description, **root}
    if components:
        document["$defs"] = components
    text = json.dumps(document).replace('"#/components/schemas/', '"#/$defs/')
    result: dict[str, Any] = json.loads(text)
    return result


def render_all() -> dict[str, str]:
    return {
        filename: json.dumps(generate(schema, description), indent=2) + "\n"
        for filename, (schema, description) in PUBLISHED.items()
    }


def write(directory: Path) -> Iterator[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    for filename, text in render_all().items():
        path = directory / filename
        path.write_text(text, encoding="utf-8")
        yield path
