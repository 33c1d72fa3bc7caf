"""A draft's ClaimReview, shown to its own organization, is a preview that conforms to a schema of
its own in the OpenAPI document (and schemas/claimreview-preview.json): no datePublished yet,
perhaps no rating, marked creativeWorkStatus Draft. A published one is a ClaimReview."""

import json
from typing import Any

import jsonschema
import pytest
from flask import Flask
from flask.testing import FlaskClient

from factcheck.core import keys
from factcheck.core.organizations import create_organization

from .conftest import FACT_CHECK, ROOT, create_article, create_fact_check, publish

ROUTE = "/api/v1/fact-checks/{fact_check_id}/claimreview"
PUBLISHED_FILES = ROOT / "schemas"


def route_schema(client: FlaskClient) -> dict[str, Any]:
    """The 200 answer's schema as the OpenAPI document states it, its references resolvable."""
    spec = client.get("/api/openapi.json").get_json()
    answer = spec["paths"][ROUTE]["get"]["responses"]["200"]
    schema: dict[str, Any] = answer["content"]["application/ld+json"]["schema"]
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema, **spec}


def validate(document: Any, schema: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator(schema).validate(document)


def file_schema(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((PUBLISHED_FILES / name).read_text())
    return loaded


@pytest.mark.parametrize(
    "fields",
    [{}, {"rating": None}, {"rating": {"alternateName": "Unproven"}}, {"url": None}],
    ids=["complete", "no-rating-yet", "off-the-scale", "no-url"],
)
def test_a_drafts_claimreview_conforms_to_the_documented_preview(
    client: FlaskClient, writer: dict[str, str], fields: dict[str, Any]
) -> None:
    article_id = create_article(client, writer).get_json()["id"]
    draft = create_fact_check(client, writer, article_id, **fields).get_json()
    response = client.get(ROUTE.format(fact_check_id=draft["id"]), headers=writer)
    assert response.status_code == 200
    assert response.mimetype == "application/ld+json"
    preview = response.get_json()
    assert preview["creativeWorkStatus"] == "Draft"
    assert "datePublished" not in preview
    validate(preview, route_schema(client))
    validate(preview, file_schema("claimreview-preview.json"))
    with pytest.raises(jsonschema.ValidationError):
        validate(preview, file_schema("claimreview.json"))
    # Its own organization's view only: never shared, never cached.
    assert response.headers["Vary"] == "Authorization"
    assert "public" not in response.headers["Cache-Control"]
    assert client.get(ROUTE.format(fact_check_id=draft["id"])).status_code == 404


def test_a_published_claimreview_is_a_claimreview_and_not_a_preview(
    client: FlaskClient, writer: dict[str, str]
) -> None:
    article_id = create_article(client, writer).get_json()["id"]
    draft = create_fact_check(client, writer, article_id)
    assert publish(client, writer, draft).status_code == 200
    document = client.get(ROUTE.format(fact_check_id=draft.get_json()["id"])).get_json()
    assert "creativeWorkStatus" not in document
    validate(document, route_schema(client))
    validate(document, file_schema("claimreview.json"))
    with pytest.raises(jsonschema.ValidationError):
        validate(document, file_schema("claimreview-preview.json"))


def test_every_property_the_service_renders_is_in_both_schemas(
    app: Flask, client: FlaskClient
) -> None:
    """The schemas describe what is served: a claimant's jobTitle and sameAs, an article's
    author, the organization's logo, appearances, corrections."""
    with app.app_context():
        organization = create_organization(
            "full", "Full Desk", "https://full.example.org/", logo="https://full.example.org/l.png"
        )
        token = keys.issue(organization.id, "tests", frozenset({"write", "publish"}))
    writer = {"Authorization": f"Bearer {token}"}
    article_id = create_article(client, writer, author="A. Reporter").get_json()["id"]
    claimant = {**FACT_CHECK["claimAuthor"], "sameAs": ["https://people.example.org/minister"]}
    draft = create_fact_check(
        client,
        writer,
        article_id,
        claimAuthor=claimant,
        claimAppearances=["https://tv.example.com/interview"],
        claimFirstAppearance="https://tv.example.com/interview",
        evidence=[
            {
                **FACT_CHECK["evidence"][0],
                "quote": "Prices rose 6%.",
                "archivedUrl": "https://archive.example.org/cpi",
            }
        ],
    )
    path = ROUTE.format(fact_check_id=draft.get_json()["id"])
    preview = client.get(path, headers=writer).get_json()
    validate(preview, file_schema("claimreview-preview.json"))
    validate(preview, route_schema(client))
    published = publish(client, writer, draft)
    corrected = client.patch(
        f"/api/v1/fact-checks/{draft.get_json()['id']}",
        json={
            "rating": {**FACT_CHECK["rating"], "ratingValue": 1, "alternateName": "False"},
            "correction": "Newer figures.",
        },
        headers={**writer, "If-Match": published.headers["ETag"]},
    )
    assert corrected.status_code == 200, corrected.get_json()
    document = client.get(path).get_json()
    assert document["author"]["logo"] and document["correction"]
    assert document["itemReviewed"]["author"]["jobTitle"]
    assert document["itemReviewed"]["appearance"][0]["author"]["name"] == "A. Reporter"
    validate(document, file_schema("claimreview.json"))
    validate(document, route_schema(client))
